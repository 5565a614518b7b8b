/* Which CosyVoice model family a directory holds. The reference tells the
 * families apart by the name of the hyper-parameter file, and so do we:
 *
 *   cosyvoice.yaml   CosyVoice-300M (-SFT, -Instruct)   v1
 *   cosyvoice2.yaml  CosyVoice2-0.5B                    v2
 *   cosyvoice3.yaml  Fun-CosyVoice3-0.5B                v3
 *
 * A directory holding more than one of them is refused rather than guessed
 * at: which file the user meant is not ours to decide. */
#ifndef CV_MODEL_FAMILY_H
#define CV_MODEL_FAMILY_H

#include <stddef.h>

#include "common/status.h"

typedef enum cv_family {
    CV_FAMILY_V1 = 1,
    CV_FAMILY_V2 = 2,
    CV_FAMILY_V3 = 4, /* powers of two, so a set of families is a mask */
} cv_family;

/* "CosyVoice-300M" (v1), "CosyVoice2-0.5B" (v2), "Fun-CosyVoice3-0.5B" (v3). */
const char *cv_family_name(cv_family f);
/* "cosyvoice.yaml", "cosyvoice2.yaml", "cosyvoice3.yaml". */
const char *cv_family_yaml(cv_family f);

/* Detects the family of `dir` and writes the path of its yaml file into
 * yaml_path. NOT_FOUND when dir does not exist; INVALID_ARGUMENT naming the
 * files looked for when there is none, or naming both when there are
 * several. */
cv_status cv_family_detect(const char *dir, cv_family *family, char *yaml_path, size_t cap);

#endif
