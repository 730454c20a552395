/* floor.c - the raw libcurl floor: one reused easy handle, N sequential GETs
 * of consecutive pages, the body counted and thrown away (no decoding).
 *
 *   build/floor BASE_URL KEY SELLER PAGES [1.1|2] [CA_FILE]
 *
 * Prints "pages=N bytes=B cpu=S" where S is this process's CPU seconds
 * (user + system, getrusage) spent in the loop only: start-up, libcurl's
 * global init and the handle's set-up are outside it. Exits 1 on the first
 * failed page. Built by `make bench-floor` (see bench/floor_bench.lua).
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static size_t on_write(char *data, size_t size, size_t n, void *ud) {
  (void)data;
  *(size_t *)ud += size * n;
  return size * n;
}

static double cpu_now(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
         ru.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: %s BASE_URL KEY SELLER PAGES [1.1|2] [CA_FILE]\n", argv[0]);
    return 2;
  }
  const char *base = argv[1], *seller = argv[3];
  long pages = strtol(argv[4], NULL, 10);
  int h2 = argc > 5 && strcmp(argv[5], "2") == 0;
  const char *ca = argc > 6 ? argv[6] : NULL;
  char auth[512], url[1024];
  snprintf(auth, sizeof auth, "Authorization: Bearer %s", argv[2]);

  curl_global_init(CURL_GLOBAL_ALL);
  CURL *e = curl_easy_init();
  struct curl_slist *h = curl_slist_append(NULL, auth);
  h = curl_slist_append(h, "Accept: application/json");
  size_t bytes = 0;
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &bytes);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_HTTP_VERSION, h2 ? (long)CURL_HTTP_VERSION_2TLS : (long)CURL_HTTP_VERSION_1_1);
  if (ca) curl_easy_setopt(e, CURLOPT_CAINFO, ca);

  double t0 = cpu_now();
  long i;
  for (i = 1; i <= pages; i++) {
    snprintf(url, sizeof url, "%s/v1/tiktok/shop/livestreams/analytics?seller_id=%s&page_num=%ld&page_size=10", base,
             seller, i);
    curl_easy_setopt(e, CURLOPT_URL, url);
    long status = 0;
    CURLcode r = curl_easy_perform(e);
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    if (r != CURLE_OK || status != 200) {
      fprintf(stderr, "floor: page %ld: %s, HTTP %ld\n", i, curl_easy_strerror(r), status);
      return 1;
    }
  }
  double cpu = cpu_now() - t0;
  printf("pages=%ld bytes=%zu cpu=%.6f\n", pages, bytes, cpu);
  curl_easy_cleanup(e);
  curl_slist_free_all(h);
  curl_global_cleanup();
  return 0;
}
