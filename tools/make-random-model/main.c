/* cosyvoice-make-random-model OUT_DIR [--family v1|v2|v3] [--small]
 *                             [--seed N] [--speakers N] [--source DIR]
 *
 * Writes a model directory in the official layout the cosyvoice engine
 * loads, with random weights, at the full size of the family's released
 * model (v1: CosyVoice-300M, the default; v2: CosyVoice2-0.5B; v3:
 * Fun-CosyVoice3-0.5B) or, with --small (v2/v3), at a few MB for tests.
 * For benchmarks and loader tests: the audio is noise, and the LM rarely
 * emits eos (force a token count with --engine-opt fixed_tokens=N).
 * dir_v1.c and dir_v2v3.c say what each directory holds. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "random_dir.h"

#define USAGE                                                                              \
    "usage: cosyvoice-make-random-model OUT_DIR [--family v1|v2|v3] [--small] [--seed N]\n" \
    "                                   [--speakers N] [--source DIR]\n"

static void help(void)
{
    printf(USAGE
           "Writes a model directory in the official layout the cosyvoice engine loads, with\n"
           "random weights (for benchmarks and loader tests: the audio is noise).\n"
           "  --family v1   CosyVoice-300M (default): cosyvoice.yaml, llm.pt, flow.pt,\n"
           "                hift.pt, spk2info.pt with SFT speakers\n"
           "  --family v2   CosyVoice2-0.5B: cosyvoice2.yaml, llm.pt, flow.pt, hift.pt,\n"
           "                CosyVoice-BlankEN/, campplus.onnx, speech_tokenizer_v2.onnx,\n"
           "                spk2info.pt with saved voices (3 s prompts)\n"
           "  --family v3   Fun-CosyVoice3-0.5B: the same with cosyvoice3.yaml and\n"
           "                speech_tokenizer_v3.onnx\n"
           "  --small       v2/v3: a few-MB model of the same architecture (tests)\n"
           "  --seed N      weights seed (default 1)\n"
           "  --speakers N  speakers or saved voices in spk2info.pt (default 3)\n"
           "  --source DIR  v2/v3: the source tree whose tests/data/golden holds the Qwen2\n"
           "                tokenizer files and the small ONNX stand-ins that are copied\n"
           "                (default: $CV_SOURCE_DIR, else the current directory)\n"
           "Full size on disk: v2 2.5 GB, v3 3.3 GB (float32 weights).\n");
}

int main(int argc, char **argv)
{
    random_dir_options o = {.family = 1, .seed = 1, .n_speakers = 3,
                            .source = getenv("CV_SOURCE_DIR") ? getenv("CV_SOURCE_DIR") : "."};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            help();
            return 0;
        }
        if (!strcmp(argv[i], "--seed") && i + 1 < argc) o.seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--speakers") && i + 1 < argc) o.n_speakers = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--source") && i + 1 < argc) o.source = argv[++i];
        else if (!strcmp(argv[i], "--small")) o.small = true;
        else if (!strcmp(argv[i], "--family") && i + 1 < argc) {
            const char *f = argv[++i];
            o.family = !strcmp(f, "v1") ? 1 : !strcmp(f, "v2") ? 2 : !strcmp(f, "v3") ? 3 : 0;
            if (!o.family) {
                fprintf(stderr, "cosyvoice-make-random-model: --family %s: expected v1, v2 or "
                                "v3\n", f);
                return 2;
            }
        } else if (argv[i][0] != '-' && !o.dir) o.dir = argv[i];
        else {
            fputs(USAGE, stderr);
            return 2;
        }
    }
    if (!o.dir || o.n_speakers < 1 || o.n_speakers > 100) {
        fputs(USAGE, stderr);
        return 2;
    }
    if (o.small && o.family == 1) {
        fprintf(stderr, "cosyvoice-make-random-model: --small is for --family v2 / v3 (the tiny "
                        "v1 model is tests/data/golden/cosyvoice-v1-tiny)\n");
        return 2;
    }
    if (mkdir(o.dir, 0755) != 0 && errno != EEXIST) {
        perror(o.dir);
        return 1;
    }
    return o.family == 1 ? make_dir_v1(&o) : make_dir_v2v3(&o);
}
