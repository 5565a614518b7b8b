#!/usr/bin/python3
"""Soak test: many concurrent client processes for several minutes against
one server (normally the AddressSanitizer build), mixing valid, invalid,
cancelled, deadline-exceeded and slow-reading calls with hostile ones:
clients that stop reading (freed by --send-timeout), calls to unknown
methods, NUL bytes, out-of-range speeds, control characters in spk_id, one
4000-letter word under a short deadline, floods of idle connections and a
trickled HTTP/2 preface (closed by --header-timeout). The run ends with a
SIGTERM while a client that never reads holds a call (--grace 2).

Checks: every valid call completes and matches the same call made alone:
byte-identical with --engine tone (exactly predictable output, so any
cross-talk, lost or reordered chunk shows); with the default espeak engine
the same length within 2% or 50 ms (espeak-ng carries a little synthesis state from
one utterance to the next inside a process, so its output is not bit-exact
even for one client); invalid calls get INVALID_ARGUMENT; the server's resident memory
is flat after warm-up; on SIGTERM the server exits 0 with no sanitizer
report; every hostile case gets the status it should (UNIMPLEMENTED,
INVALID_ARGUMENT, DEADLINE_EXCEEDED, a closed connection). Prints calls
handled, outcomes by status, and memory at start/end.

  bench/soak.py [--build build-asan] [--minutes 5] [--clients 8]
                [--valgrind]   (run the server under valgrind instead)
"""
import argparse
import multiprocessing as mp
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))

TEXTS = [
    ("中文女", "今天天气很好。我们去公园散步吧！"),
    ("英文女", "The quick brown fox jumps over the lazy dog. It was a sunny day."),
    ("英文男", "Streaming speech synthesis, one sentence at a time."),
    ("日语男", "こんにちは。今日はいい天気ですね。"),
    ("粤语女", "你好，今日天气几好。"),
    ("韩语女", "안녕하세요. 만나서 반갑습니다."),
    ("中文男", "价格是3.5元，时间是2024年11月24日。"),
]
LONG = ("中文女", "。".join(["这是一个很长的句子，用来测试取消和超时"] * 40) + "。")


def make_request(pb, kind, spk, text, prompt):
    if kind == "sft":
        return pb.Request(sft_request=pb.sftRequest(spk_id=spk, tts_text=text))
    if kind == "instruct":
        return pb.Request(instruct_request=pb.instructRequest(
            spk_id=spk, tts_text=text, instruct_text="请用开心的语气慢一点说"))
    if kind == "zero_shot":
        return pb.Request(zero_shot_request=pb.zeroshotRequest(
            tts_text=text, prompt_text="希望你以后能够做的比我还好呦。", prompt_audio=prompt))
    return pb.Request(cross_lingual_request=pb.crosslingualRequest(
        tts_text=text, prompt_audio=prompt))


def valid_cases(prompt, engine="espeak"):
    cases = []
    for i, (spk, text) in enumerate(TEXTS):
        if engine == "tone":
            spk = ["tone-low", "tone-high"][i % 2]
        kind = ["sft", "instruct", "zero_shot", "cross_lingual"][i % 4]
        cases.append((kind, spk, text))
    return cases


def same_audio(a, b, engine):
    if engine == "tone":
        return a == b
    # espeak-ng's carried-over state moves an utterance by up to a few
    # hundred samples: allow 2% or 50 ms (2 bytes per sample at 22050 Hz).
    return len(b) > 0 and abs(len(a) - len(b)) <= max(0.02 * len(b), 0.05 * 22050 * 2)


LONG_WORD = "".join(random.Random(7).choice("abcdefghijklmnopqrstuvwxyz") for _ in range(4000))
# The status each hostile scenario must end with (anything else is a finding).
HOSTILE_EXPECT = {"unknown": "UNIMPLEMENTED", "nul": "INVALID_ARGUMENT",
                  "speed": "INVALID_ARGUMENT", "inject": "INVALID_ARGUMENT",
                  "longword": "DEADLINE_EXCEEDED", "neverread": "CANCELLED",
                  "flood": "OK", "trickle": "CLOSED"}


def sft_bytes(spk, text):
    inner = b"\x0a" + bytes([len(spk)]) + spk + b"\x12" + bytes([len(text)]) + text
    return b"\x0a" + bytes([len(inner)]) + inner


def hostile(scenario, ch, stub, pb, target, spk, rng, prompt):
    """One hostile call; returns its outcome name (raises grpc.RpcError)."""
    import socket
    host, port = target.rsplit(":", 1)
    if scenario == "unknown":
        ch.unary_unary("/cosyvoice.CosyVoice/Nope", request_serializer=lambda b: b,
                       response_deserializer=lambda b: b)(b"x", timeout=30)
    elif scenario == "nul":
        raw = ch.unary_stream("/cosyvoice.CosyVoice/Inference", request_serializer=lambda b: b,
                              response_deserializer=lambda b: b)
        list(raw(sft_bytes(spk.encode(), b"Hello\x00world."), timeout=30))
    elif scenario == "speed":
        list(stub.Inference(pb.Request(sft_request=pb.sftRequest(spk_id=spk, tts_text="Hi."),
                                       speed=rng.choice([0.001, 100.0, float("inf"), -1.0])),
                            timeout=30))
    elif scenario == "inject":
        list(stub.Inference(pb.Request(sft_request=pb.sftRequest(
            spk_id="x\n2030-01-01T00:00:00.000Z INFO  forged\x1b[2J", tts_text="Hi.")),
            timeout=30))
    elif scenario == "longword":
        list(stub.Inference(pb.Request(sft_request=pb.sftRequest(spk_id=spk, tts_text=LONG_WORD)),
                            timeout=rng.uniform(1.0, 2.0)))
    elif scenario == "neverread":
        call = stub.Inference(make_request(pb, "sft", spk, LONG[1] * 4, prompt), timeout=120)
        next(call)
        time.sleep(4)  # past --send-timeout: the server has given up on us
        call.cancel()
        return "CANCELLED"
    elif scenario == "flood":
        socks = []
        for _ in range(50):
            try:
                socks.append(socket.create_connection((host, int(port)), timeout=5))
            except OSError:
                break
        time.sleep(0.5)
        for sk in socks:
            sk.close()
    elif scenario == "trickle":
        c = socket.create_connection((host, int(port)), timeout=10)
        c.settimeout(0.05)
        try:
            for b in b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00" * 40:
                c.sendall(bytes([b]))
                try:
                    if c.recv(4096) == b"":
                        return "CLOSED"
                except socket.timeout:
                    pass
                time.sleep(0.2)
        except OSError:
            return "CLOSED"
        finally:
            c.close()
        return "STILL_OPEN"
    return "OK"


def client_main(target, seconds, seed, prompt, reference, engine, queue):
    import grpc
    import conftest  # generates the stubs

    pb = conftest.cosyvoice_pb2
    rng = random.Random(seed)
    ch = grpc.insecure_channel(target)
    stub = conftest.cosyvoice_pb2_grpc.CosyVoiceStub(ch)
    cases = valid_cases(prompt, engine)
    stats = Counter()
    mismatches = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        scenario = rng.choices(["valid", "invalid", "cancel", "deadline", "slow", "hostile"],
                               weights=[5, 2, 1, 1, 1, 2])[0]
        if scenario == "hostile":
            scenario = rng.choice(sorted(HOSTILE_EXPECT))
            if scenario == "longword" and engine == "tone":
                scenario = "speed"  # the tone engine has no word-level work
        try:
            if scenario in HOSTILE_EXPECT:
                stats[f"{scenario}:{hostile(scenario, ch, stub, pb, target, cases[1][1], rng, prompt)}"] += 1
            elif scenario in ("valid", "slow"):
                idx = rng.randrange(len(cases))
                kind, spk, text = cases[idx]
                audio = []
                for r in stub.Inference(make_request(pb, kind, spk, text, prompt), timeout=120):
                    audio.append(r.tts_audio)
                    if scenario == "slow":
                        time.sleep(0.2)
                got = b"".join(audio)
                if not same_audio(got, reference[idx], engine):
                    mismatches.append((kind, spk, len(got) / max(1, len(reference[idx]))))
                stats[f"{scenario}:OK"] += 1
            elif scenario == "invalid":
                bad = rng.choice([
                    pb.Request(),
                    pb.Request(sft_request=pb.sftRequest(spk_id="nobody", tts_text="hi")),
                    pb.Request(sft_request=pb.sftRequest(spk_id=cases[0][1], tts_text="  ")),
                    pb.Request(cross_lingual_request=pb.crosslingualRequest(
                        tts_text="hi", prompt_audio=b"\x00\x00" * 16000)),
                    pb.Request(zero_shot_request=pb.zeroshotRequest(
                        tts_text="hi", prompt_audio=prompt)),
                ])
                list(stub.Inference(bad, timeout=30))
                stats["invalid:UNEXPECTED_OK"] += 1
            elif scenario == "cancel":
                call = stub.Inference(make_request(pb, "sft", cases[0][1], LONG[1], prompt),
                                      timeout=120)
                next(call)
                call.cancel()
                stats["cancel:CANCELLED"] += 1
            else:
                list(stub.Inference(make_request(pb, "sft", cases[0][1], LONG[1], prompt),
                                    timeout=rng.uniform(0.05, 0.5)))
                stats["deadline:OK"] += 1
        except grpc.RpcError as e:
            stats[f"{scenario}:{e.code().name}"] += 1
    ch.close()
    queue.put((stats, mismatches))


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        m = re.search(r"VmRSS:\s+(\d+)", f.read())
    return int(m.group(1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build-asan"))
    ap.add_argument("--minutes", type=float, default=5)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--valgrind", action="store_true")
    ap.add_argument("--engine", default="espeak", choices=["espeak", "tone"])
    args = ap.parse_args()

    os.environ["CV_BUILD_DIR"] = args.build
    import grpc
    import conftest

    prompt = subprocess.run(["sox", os.path.join(ROOT, "tests/data/prompts/zero_shot_prompt.wav"),
                             "-t", "raw", "-r", "16000", "-e", "signed", "-b", "16", "-c", "1", "-"],
                            check=True, capture_output=True).stdout
    wrapper = []
    if args.valgrind:
        wrapper = ["valgrind", "--leak-check=full", "--error-exitcode=99", "--num-callers=40",
                   "--errors-for-leak-kinds=definite",
                   "--suppressions=" + os.path.join(ROOT, "tests/valgrind/espeak-engine.supp")]
    log = tempfile.NamedTemporaryFile(prefix="soak_server_", suffix=".log", delete=False)
    port = conftest.free_port()
    server = subprocess.Popen(wrapper + [os.path.join(args.build, "cosyvoice-server"), "--host",
                                         "127.0.0.1", "--port", str(port), "--max-conc", "4",
                                         "--max-queue", "64", "--engine", args.engine,
                                         "--max-text", "100000", "--send-timeout", "2",
                                         "--header-timeout", "2", "--grace", "2",
                                         "--max-connections", "400"],
                              stdout=subprocess.PIPE, stderr=log, text=True)
    assert "ready" in server.stdout.readline(), "server did not start"
    target = f"127.0.0.1:{port}"

    # References: each valid call made alone.
    ch = grpc.insecure_channel(target)
    stub = conftest.cosyvoice_pb2_grpc.CosyVoiceStub(ch)
    pb = conftest.cosyvoice_pb2
    reference = [b"".join(r.tts_audio for r in stub.Inference(
        make_request(pb, kind, spk, text, prompt), timeout=300))
        for kind, spk, text in valid_cases(prompt, args.engine)]
    ch.close()

    rss_start = rss_kb(server.pid)
    seconds = args.minutes * 60
    q = mp.Queue()
    procs = [mp.Process(target=client_main, args=(target, seconds, i, prompt, reference, args.engine, q))
             for i in range(args.clients)]
    for p in procs:
        p.start()
    samples = []
    t0 = time.monotonic()
    while any(p.is_alive() for p in procs):
        time.sleep(5)
        samples.append((time.monotonic() - t0, rss_kb(server.pid)))
    totals, mismatches = Counter(), []
    for _ in procs:
        s, m = q.get()
        totals.update(s)
        mismatches += m
    for p in procs:
        p.join()
    rss_end = rss_kb(server.pid)
    # Shut down while a client that never reads holds a call: the grace
    # period ends with its send stuck on flow control (this aborted once).
    ch = grpc.insecure_channel(target)
    stuck = conftest.cosyvoice_pb2_grpc.CosyVoiceStub(ch).Inference(
        make_request(pb, "sft", valid_cases(prompt, args.engine)[0][1], LONG[1] * 20, prompt),
        timeout=600)
    next(stuck)
    server.send_signal(15)
    rc = server.wait(timeout=300)
    ch.close()
    logs = open(log.name).read()
    sanitizer = [m for m in ("AddressSanitizer", "LeakSanitizer", "runtime error:",
                             "definitely lost: [1-9]") if re.search(m, logs)]

    # Memory after warm-up: compare the second quarter with the last quarter.
    n = len(samples)
    warm = [r for _, r in samples[n // 4: n // 2]] or [rss_start]
    last = [r for _, r in samples[3 * n // 4:]] or [rss_end]
    growth = (sum(last) / len(last)) / (sum(warm) / len(warm)) - 1

    print(f"engine {args.engine}; server: {' '.join(wrapper) or 'native'} {args.build}; {args.clients} client "
          f"processes for {args.minutes:g} min")
    print(f"calls handled: {sum(totals.values())}")
    for k in sorted(totals):
        print(f"  {k:28s} {totals[k]}")
    rule = "byte-identical to" if args.engine == "tone" else "of the same length (2%/50 ms) as"
    print(f"valid calls not {rule} the call made alone: {len(mismatches)}")
    for kind, spk, ratio in sorted(set((k, s, round(r, 3)) for k, s, r in mismatches))[:20]:
        print(f"  {kind} {spk}: length ratio {ratio}")
    print(f"server RSS: start {rss_start / 1024:.1f} MiB, after warm-up "
          f"{sum(warm) / len(warm) / 1024:.1f} MiB, end {rss_end / 1024:.1f} MiB "
          f"(growth after warm-up {growth * 100:+.1f}%)")
    print(f"server exit code {rc}; sanitizer/valgrind findings: {sanitizer or 'none'}; "
          f"log {log.name}")
    wrong = {k: v for k, v in totals.items() if k.split(":")[0] in HOSTILE_EXPECT
             and k.split(":")[1] != HOSTILE_EXPECT[k.split(":")[0]]}
    print(f"hostile calls with another outcome than expected: {wrong or 'none'}")
    forged = [l for l in logs.splitlines() if "forged" in l and "call mode=" not in l]
    print(f"forged log lines: {len(forged)}; raw ESC bytes in the log: {logs.count(chr(27))}")
    bad = (mismatches or rc != 0 or sanitizer or totals["invalid:UNEXPECTED_OK"]
           or any(k.startswith(("valid:", "slow:")) and not k.endswith(":OK") for k in totals)
           or wrong or forged or chr(27) in logs or growth > 0.10)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
