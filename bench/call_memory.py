#!/usr/bin/python3
"""Memory of one call: the server's resident memory (VmRSS, sampled every
10 ms) before, during and after one call of a 10,000-character text, read
by a fast client (as fast as it arrives) and by a slow one (stops reading
for --stall seconds after the first chunk, then reads the rest), one call
at a time.

Prints, per reader: the baseline (after a warm-up call), the peak during
the call and the residual 2 s after it, each also as the difference to the
baseline. A bounded server shows a peak that does not depend on how much
audio the client has not read yet (the slow reader's peak is the fast
one's, plus at most --chunk-queue chunks and gRPC's flow-control window),
and a residual back at the baseline.

  bench/call_memory.py [--build build] [--engine espeak]
                       [--model-dir DIR --engine-opt fixed_tokens=50 ...]
                       [--chars 10000] [--stall 10]
"""
import argparse
import os
import re
import subprocess
import sys
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))

PARAGRAPH_EN = ("The old lighthouse keeper climbed the stairs every evening, counting the steps "
                "as his father had taught him. At the top he wiped the glass, lit the lamp, and "
                "watched the ships pass in the dark. Some nights the fog was so thick that he "
                "could not see the water at all; on others the stars were bright enough to read "
                "by. ")
PARAGRAPH_ZH = ("老灯塔看守人每天傍晚都会爬上楼梯，像他父亲教他的那样数着台阶。到了顶上，他擦干净玻璃，"
                "点亮灯，看着船只在黑暗中驶过。有些夜晚雾很浓，他根本看不见海水；另一些夜晚，星星亮得"
                "可以用来读书。")


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def text_of(chars, lang):
    p = PARAGRAPH_ZH if lang == "zh" else PARAGRAPH_EN
    return (p * (chars // len(p) + 1))[:chars]


class Sampler:
    def __init__(self, pid):
        self.pid, self.peak, self.stop = pid, 0, False
        self.t = threading.Thread(target=self.run)
        self.t.start()

    def run(self):
        while not self.stop:
            self.peak = max(self.peak, rss_kb(self.pid))
            time.sleep(0.01)

    def done(self):
        self.stop = True
        self.t.join()
        return self.peak


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--engine", default="espeak")
    ap.add_argument("--model-dir")
    ap.add_argument("--engine-opt", action="append", default=[])
    ap.add_argument("--threads", default="2")
    ap.add_argument("--spk", default="英文女")
    ap.add_argument("--lang", default="en", choices=["en", "zh"])
    ap.add_argument("--chars", type=int, default=10000)
    ap.add_argument("--stall", type=float, default=10.0)
    args = ap.parse_args()
    os.environ["CV_BUILD_DIR"] = args.build
    import grpc
    import conftest

    pb = conftest.cosyvoice_pb2
    port = conftest.free_port()
    cmd = [os.path.join(args.build, "cosyvoice-server"), "--host", "127.0.0.1", "--port",
           str(port), "--engine", args.engine, "--threads", args.threads, "--max-conc", "1",
           "--send-timeout", "0"]
    if args.model_dir:
        cmd += ["--model-dir", args.model_dir]
    for o in args.engine_opt:
        cmd += ["--engine-opt", o]
    log = open("/tmp/cv_call_memory.log", "w")
    server = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True)
    assert "ready" in server.stdout.readline(), "server did not start (/tmp/cv_call_memory.log)"
    ch = grpc.insecure_channel(f"127.0.0.1:{port}",
                               options=[("grpc.max_receive_message_length", 64 << 20)])
    stub = conftest.cosyvoice_pb2_grpc.CosyVoiceStub(ch)

    def request(text):
        return pb.Request(sft_request=pb.sftRequest(spk_id=args.spk, tts_text=text))

    list(stub.Inference(request(text_of(200, args.lang)), timeout=3600))  # warm-up
    text = text_of(args.chars, args.lang)
    print(f"engine {args.engine}{' ' + ' '.join(args.engine_opt) if args.engine_opt else ''}; "
          f"one call of {len(text)} characters ({args.lang}, {args.spk}); VmRSS of the server")
    for reader in ("fast", "slow"):
        time.sleep(2)
        base = rss_kb(server.pid)
        s = Sampler(server.pid)
        t0 = time.monotonic()
        chunks = audio = 0
        for r in stub.Inference(request(text), timeout=7200):
            chunks += 1
            audio += len(r.tts_audio) // 2
            if reader == "slow" and chunks == 1:
                time.sleep(args.stall)
        took = time.monotonic() - t0
        peak = s.done()
        time.sleep(2)
        resid = rss_kb(server.pid)
        print(f"  {reader:4s} reader: {chunks} chunks, {audio / 22050:.1f} s of audio in "
              f"{took:.1f} s; baseline {base / 1024:.1f} MiB, peak {peak / 1024:.1f} MiB "
              f"(+{(peak - base) / 1024:.1f}), residual {resid / 1024:.1f} MiB "
              f"({(resid - base) / 1024:+.1f})")
    ch.close()
    server.send_signal(15)
    rc = server.wait(timeout=120)
    print(f"server exit code {rc}")


if __name__ == "__main__":
    main()
