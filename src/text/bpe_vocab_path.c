/* Where the tokenizer vocabulary is looked for. Official CosyVoice model
 * directories do not ship multilingual.tiktoken (the reference takes it from
 * the installed whisper package), so the project installs its own copy:
 * found beside the running program first (common/datadir.h), then under the
 * prefix the build was configured with, then in the source tree. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/datadir.h"
#include "text/bpe_tokenizer.h"

#ifndef CV_INSTALL_DATADIR
#define CV_INSTALL_DATADIR "/usr/local/share/cosyvoice-c"
#endif

static bool readable_file(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && access(path, R_OK) == 0;
}

/* Copies dir/name into out; false if it does not fit. */
static bool join(char *out, size_t cap, const char *dir, const char *name)
{
    int n = snprintf(out, cap, "%s/%s", dir, name);
    return n > 0 && (size_t)n < cap;
}

cv_status bpe_tokenizer_find_vocab(const char *model_dir, const char *explicit_path,
                                   char *out, size_t cap)
{
    if (explicit_path && *explicit_path) {
        if (strlen(explicit_path) >= cap)
            return cv_error(CV_INVALID_ARGUMENT, "tokenizer path too long");
        if (!readable_file(explicit_path))
            return cv_error(CV_NOT_FOUND, "tokenizer vocabulary %s is not a readable file",
                            explicit_path);
        strcpy(out, explicit_path);
        return cv_ok();
    }
    const char *dirs[4];
    size_t nd = 0;
    if (model_dir && *model_dir) dirs[nd++] = model_dir;
    const char *installed = cv_installed_datadir();
    if (installed && strcmp(installed, CV_INSTALL_DATADIR) != 0) dirs[nd++] = installed;
    dirs[nd++] = CV_INSTALL_DATADIR;
#ifdef CV_SOURCE_ASSETS_DIR
    dirs[nd++] = CV_SOURCE_ASSETS_DIR;
#endif
    char tried[CV_STATUS_MSG_MAX / 2] = "";
    for (size_t i = 0; i < nd; i++) {
        if (join(out, cap, dirs[i], BPE_VOCAB_FILENAME) && readable_file(out)) return cv_ok();
        size_t used = strlen(tried);
        snprintf(tried + used, sizeof tried - used, "%s%s", used ? ", " : "", dirs[i]);
    }
    if (cap) out[0] = '\0';
    return cv_error(CV_NOT_FOUND, "%s not found in %s", BPE_VOCAB_FILENAME, tried);
}
