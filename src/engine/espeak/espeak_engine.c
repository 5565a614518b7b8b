/* placeholder, replaced by the real engine */
#include "engine/engine.h"
const engine_ops espeak_engine_ops = {.name = "espeak"};
