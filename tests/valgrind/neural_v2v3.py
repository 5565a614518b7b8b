#!/usr/bin/python3
"""The cosyvoice engine serving the tiny CosyVoice2 and CosyVoice3
directories under valgrind (memcheck): every mode, streaming and not, a
saved voice, instruct2 with a fresh recording, a refused request and a
call the client abandons; then SIGTERM. Exit status 0 only when valgrind
reports no error and no definite leak (--error-exitcode) and every call got
its expected outcome. Too slow for `make test` (minutes per directory);
run by hand after changing the v2/v3 path:

  tests/valgrind/neural_v2v3.py [--build build] [--family 2 3] [--calls N]

--calls N makes only the first N calls of the list (and skips the abandoned
one): under memcheck one call of the tiny model takes about 10 minutes on
this 2-core machine with other work running (5 s audio; the front end and
the flow dominate), so the whole list is over an hour per family.

The server runs with tests/valgrind/onednn.supp (oneDNN's JIT kernels, see
docs/compute.md) and --threads 1."""
import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--family", type=int, nargs="+", default=[2, 3], choices=[2, 3])
    ap.add_argument("--calls", type=int, default=0, help="only the first N calls (0: all)")
    args = ap.parse_args()
    os.environ["CV_BUILD_DIR"] = os.path.abspath(args.build)
    os.environ.setdefault("CV_SOURCE_DIR", ROOT)
    import grpc
    import pathlib

    import conftest
    import test_neural_engine_v2v3 as v

    R = conftest.cosyvoice_pb2
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="cv_valgrind_"))
    wav = str(tmp / "prompt16k.wav")
    subprocess.run(["sox", v.PROMPT_WAV, "-r", "16000", "-c", "1", "-b", "16", wav], check=True)
    pcm = subprocess.run(["sox", wav, "-t", "raw", "-e", "signed", "-b", "16", "-"], check=True,
                         capture_output=True).stdout
    failed = False
    for fam in args.family:
        text, prompt = (v.V2_TEXT, v.V2_PROMPT) if fam == 2 else (v.V3_TEXT, v.V3_PROMPT)
        d = v.model_dir(tmp, fam)
        voices = tmp / f"voices{fam}.pt"
        v.add_voice(d, "mine", wav, prompt, voices)
        log = tmp / f"valgrind{fam}.log"
        wrapper = ["valgrind", "--leak-check=full", "--error-exitcode=99", "--num-callers=40",
                   "--errors-for-leak-kinds=definite", f"--log-file={log}",
                   "--suppressions=" + os.path.join(ROOT, "tests/valgrind/onednn.supp")]
        srv = conftest.Server("--threads", "1",
                              *v.engine(d, "seed=3", "fixed_tokens=60", speakers=voices),
                              command=(*wrapper, conftest.SERVER))
        ch = grpc.insecure_channel(srv.target)
        stub = conftest.cosyvoice_pb2_grpc.CosyVoiceStub(ch)
        calls = [
            ("zero_shot", v.zero_shot(text, prompt, pcm), "OK"),
            ("zero_shot, no streaming", v.zero_shot(text, prompt, pcm, disable_streaming=True),
             "OK"),
            ("sft, saved voice", R.Request(sft_request=R.sftRequest(spk_id="mine",
                                                                    tts_text=text)), "OK"),
            ("cross_lingual", R.Request(cross_lingual_request=R.crosslingualRequest(
                tts_text=text, prompt_audio=pcm)), "OK"),
            # v2's tiny LM cannot take <|endofprompt|>: a refused request (golden README)
            ("instruct, saved voice", R.Request(instruct_request=R.instructRequest(
                tts_text=text, spk_id="mine", instruct_text="Speak slowly.")),
             "OK" if fam == 3 else "INVALID_ARGUMENT"),
            ("instruct, recording", R.Request(instruct_request=R.instructRequest(
                tts_text=text, instruct_text="Speak slowly.", prompt_audio=pcm)),
             "OK" if fam == 3 else "INVALID_ARGUMENT"),
            ("sft, unknown voice", R.Request(sft_request=R.sftRequest(spk_id="nobody",
                                                                      tts_text=text)),
             "INVALID_ARGUMENT"),
        ]
        for name, req, want in calls[:args.calls or len(calls)]:
            try:
                n = sum(len(r.tts_audio) for r in stub.Inference(req, timeout=1800))
                got = "OK" if n > 0 else "EMPTY"
            except grpc.RpcError as e:
                got = e.code().name
            print(f"v{fam} {name}: {got}", flush=True)
            failed |= got != want
        if not args.calls:  # a call the client gives up on after its first chunk
            it = stub.Inference(v.zero_shot(text, prompt, pcm), timeout=1800)
            next(it)
            it.cancel()
        ch.close()
        srv.proc.send_signal(signal.SIGTERM)
        rc = srv.proc.wait(timeout=600)
        report = log.read_text()
        summary = re.findall(r"ERROR SUMMARY: .*|definitely lost: .*", report)
        print(f"v{fam} server exit {rc}; valgrind: {'; '.join(summary)}", flush=True)
        if rc != 0:
            failed = True
            print(report[-6000:])
    print("FAILED" if failed else "OK: no valgrind error, no definite leak")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
