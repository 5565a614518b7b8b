"""Time to the first byte of the response body (audio, not headers) and to
its end, for one HTTP request; prints "FIRST TOTAL" in seconds. curl's
time_starttransfer is no use here: for a POST it can report the time the
request was sent. Used by bench/http_latency.sh.
  http_ttfb.py URL json JSON_BODY
  http_ttfb.py URL form NAME=VALUE..."""
import http.client
import sys
import time
import urllib.parse
import uuid


def main():
    url, kind, *args = sys.argv[1:]
    u = urllib.parse.urlsplit(url)
    if kind == "json":
        body, ctype = args[0].encode(), "application/json"
    else:
        b = uuid.uuid4().hex
        parts = [f"--{b}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                 for k, v in (a.split("=", 1) for a in args)]
        body, ctype = ("".join(parts) + f"--{b}--\r\n").encode(), f"multipart/form-data; boundary={b}"
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=300)
    t0 = time.perf_counter()
    conn.request("POST", u.path, body=body, headers={"Content-Type": ctype})
    resp = conn.getresponse()
    first = None
    while True:
        chunk = resp.read1(65536)
        if not chunk:
            break
        if first is None:
            first = time.perf_counter() - t0
    total = time.perf_counter() - t0
    if resp.status != 200 or first is None:
        sys.exit(f"HTTP {resp.status}")
    print(f"{first:.4f} {total:.4f}")


main()
