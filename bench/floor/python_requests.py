#!/usr/bin/env python3
"""python_requests.py - the Python peer of bench/floor_bench.lua:
requests.Session (keep-alive), a params dict, a Bearer header, r.json().

    python3 bench/floor/python_requests.py BASE_URL KEY SELLER PAGES [CA_FILE]

Prints "pages=N records=R cpu=S": S is this process's CPU seconds
(time.process_time) in the loop only, after the imports and the session.
"""
import sys
import time

import requests


def main():
    base, key, seller, pages = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    session = requests.Session()
    session.headers["Authorization"] = "Bearer " + key
    session.headers["Accept"] = "application/json"
    # Per request: a session's verify loses to REQUESTS_CA_BUNDLE in the environment.
    verify = sys.argv[5] if len(sys.argv) > 5 else True
    url = base + "/v1/tiktok/shop/livestreams/analytics"
    records = 0
    t0 = time.process_time()
    for page in range(1, pages + 1):
        r = session.get(url, params={"seller_id": seller, "page_num": page, "page_size": 10}, verify=verify)
        body = r.json()
        if r.status_code != 200 or body.get("code") != 0:
            sys.exit("python_requests: page %d: HTTP %d" % (page, r.status_code))
        records += len(body["data"])
    cpu = time.process_time() - t0
    print("pages=%d records=%d cpu=%.6f" % (pages, records, cpu))


main()
