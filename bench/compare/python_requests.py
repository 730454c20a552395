#!/usr/bin/env python3
"""python_requests.py - fetch a whole shop the way the endpoint's own example
language does it: requests.Session, a params dict, a Bearer header, r.json().

    KEYAPI_BASE_URL=... KEYAPI_API_KEY=... python3 bench/compare/python_requests.py [SELLER_ID]

Pages 1.. until a page shorter than page_size; on 429 it sleeps Retry-After
(what a careful user writes) and asks again. Prints one line:
    pages records seconds rate_limited failed
(pages: successful pages; rate_limited: 429s this client received; failed:
pages given up on).
"""
import os
import sys
import time

import requests

PATH = "/v1/tiktok/shop/livestreams/analytics"
PAGE_SIZE = 10
MAX_TRIES = 20  # per page, 429s included


def main():
    base = os.environ["KEYAPI_BASE_URL"].rstrip("/")
    key = os.environ["KEYAPI_API_KEY"]
    seller = sys.argv[1] if len(sys.argv) > 1 else "999"
    session = requests.Session()
    session.headers["Authorization"] = "Bearer " + key
    pages = records = rate_limited = failed = 0
    t0 = time.monotonic()
    page = 1
    while page <= 100000:
        params = {"seller_id": seller, "page_num": page, "page_size": PAGE_SIZE}
        n = None
        for _ in range(MAX_TRIES):
            try:
                r = session.get(base + PATH, params=params, timeout=30)
            except requests.RequestException:
                time.sleep(1)
                continue
            if r.status_code == 429:
                rate_limited += 1
                time.sleep(float(r.headers.get("Retry-After", "1")))
                continue
            if r.status_code != 200:
                break
            body = r.json()
            if body.get("code") != 0 or not isinstance(body.get("data"), list):
                break
            n = len(body["data"])
            break
        if n is None:
            failed += 1
            if failed >= 5:
                break
        else:
            pages += 1
            records += n
            if n < PAGE_SIZE:
                break
        page += 1
    print("%d %d %.6f %d %d" % (pages, records, time.monotonic() - t0, rate_limited, failed))


if __name__ == "__main__":
    main()
