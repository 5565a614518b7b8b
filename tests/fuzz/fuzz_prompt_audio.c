/* Fuzz target: prompt-recording parsing. The client reads any audio file
 * libsndfile understands (WAV, FLAC, ...) and converts it to 16 kHz mono;
 * hostile or broken files must give an error, never a crash or a blow-up. */
#include <stddef.h>
#include <stdint.h>

#include "audio/audio_file.h"
#include "engine/engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    audio_pcm pcm;
    cv_status st = audio_file_load_mono_memory(data, size, "fuzz input", TTS_PROMPT_RATE, &pcm);
    if (st.code == CV_OK) {
        if (pcm.n == 0 || pcm.sample_rate != TTS_PROMPT_RATE)
            __builtin_trap();
        audio_pcm_free(&pcm);
    } else if (!st.message[0]) {
        __builtin_trap();
    }
    return 0;
}
