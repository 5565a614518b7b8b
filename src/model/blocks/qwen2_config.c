/* CosyVoice-BlankEN/config.json -> qwen2_config. */
#include <jansson.h>
#include <string.h>

#include "model/blocks/qwen2.h"

static int get_int(json_t *root, const char *key, int def)
{
    json_t *v = json_object_get(root, key);
    if (json_is_integer(v) && json_integer_value(v) > 0 && json_integer_value(v) <= (1 << 30))
        return (int)json_integer_value(v);
    return v ? -1 : def; /* present but not a positive integer: invalid */
}

static double get_num(json_t *root, const char *key, double def)
{
    json_t *v = json_object_get(root, key);
    return v ? (json_is_number(v) ? json_number_value(v) : -1.0) : def;
}

cv_status qwen2_config_read(const char *path, qwen2_config *out)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root) {
        if (jerr.line < 0) return cv_error(CV_NOT_FOUND, "cannot read %s: %s", path, jerr.text);
        return cv_error(CV_INVALID_ARGUMENT, "%s:%d: %s", path, jerr.line, jerr.text);
    }
    cv_status st = cv_ok();
    json_t *type = json_object_get(root, "model_type");
    json_t *act = json_object_get(root, "hidden_act");
    json_t *scaling = json_object_get(root, "rope_scaling");
    json_t *sliding = json_object_get(root, "use_sliding_window");
    qwen2_config c = {0};
    c.hidden = get_int(root, "hidden_size", 0);
    c.intermediate = get_int(root, "intermediate_size", 0);
    c.layers = get_int(root, "num_hidden_layers", 0);
    c.heads = get_int(root, "num_attention_heads", 0);
    c.kv_heads = get_int(root, "num_key_value_heads", c.heads);
    c.vocab = get_int(root, "vocab_size", 0);
    c.max_positions = get_int(root, "max_position_embeddings", 32768);
    c.head_dim = c.heads > 0 ? get_int(root, "head_dim", c.hidden / c.heads) : 0;
    c.rms_eps = (float)get_num(root, "rms_norm_eps", 1e-6);
    c.rope_theta = get_num(root, "rope_theta", 10000.0);
    if (json_is_string(type) && strcmp(json_string_value(type), "qwen2"))
        st = cv_error(CV_INVALID_ARGUMENT, "%s: model_type %s is not qwen2", path,
                      json_string_value(type));
    else if (json_is_string(act) && strcmp(json_string_value(act), "silu"))
        st = cv_error(CV_INVALID_ARGUMENT, "%s: hidden_act %s is not supported (silu only)", path,
                      json_string_value(act));
    else if (scaling && !json_is_null(scaling))
        st = cv_error(CV_INVALID_ARGUMENT, "%s: rope_scaling is not supported", path);
    else if (json_is_true(sliding))
        st = cv_error(CV_INVALID_ARGUMENT, "%s: sliding-window attention is not supported", path);
    else if (c.hidden <= 0 || c.intermediate <= 0 || c.layers <= 0 || c.heads <= 0 ||
             c.kv_heads <= 0 || c.vocab <= 0 || c.max_positions <= 0 || c.head_dim <= 0)
        st = cv_error(CV_INVALID_ARGUMENT,
                      "%s: hidden_size, intermediate_size, num_hidden_layers, num_attention_heads, "
                      "num_key_value_heads and vocab_size must be positive integers",
                      path);
    else if (c.heads % c.kv_heads || c.head_dim % 2 || c.head_dim > 1024)
        st = cv_error(CV_INVALID_ARGUMENT,
                      "%s: %d attention heads of %d dims over %d key/value heads is not a "
                      "grouped-query layout (heads a multiple of key/value heads, even head size)",
                      path, c.heads, c.head_dim, c.kv_heads);
    else if (!(c.rms_eps > 0) || !(c.rope_theta > 1))
        st = cv_error(CV_INVALID_ARGUMENT, "%s: rms_norm_eps and rope_theta must be positive",
                      path);
    json_decref(root);
    if (cv_is_ok(&st)) *out = c;
    return st;
}
