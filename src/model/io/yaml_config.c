/* cosyvoice.yaml through libyaml's document API. The document stays as
 * libyaml built it; `!ref` scalars get a resolved target node (or an
 * interpolated string) once, at load time, so lookups afterwards are plain
 * walks that cannot fail. */
#include "model/io/yaml_config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

/* A real cosyvoice.yaml is a few KiB. */
#define MAX_YAML_BYTES (16u << 20)
/* !ref chains (a ref to a ref ...) deeper than this are treated as cycles. */
#define MAX_REF_DEPTH 64
/* Interpolated !ref text of the whole file (nested references can grow it
 * geometrically; real configs use none or a few paths). */
#define MAX_INTERP_BYTES (1u << 20)

struct yaml_config {
    yaml_document_t doc;
    char *name;
    int nnodes;
    int *target;      /* per node: the node a !ref stands for; 0 unresolved, -1 being resolved */
    char **text;      /* per node: interpolated text of a !ref with surrounding text */
    size_t interp_bytes; /* total interpolated text so far */
    cv_status err;    /* first resolution error */
};

static yaml_node_t *node_at(const yaml_config *c, int id)
{
    return id >= 1 && id <= c->nnodes ? c->doc.nodes.start + (id - 1) : NULL;
}

static bool is_ref(const yaml_node_t *n)
{
    return n->type == YAML_SCALAR_NODE && n->tag && strcmp((const char *)n->tag, "!ref") == 0;
}

static int follow(yaml_config *c, int id, int depth);

/* Walks `path` (dots between keys / indices) down from node `id`. */
static int walk(yaml_config *c, int id, const char *path, int depth)
{
    for (;;) {
        id = follow(c, id, depth);
        if (!id || !*path) return id;
        yaml_node_t *n = node_at(c, id);
        if (n->type == YAML_MAPPING_NODE) {
            int next = 0;
            size_t used = 0;
            for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
                yaml_node_t *k = node_at(c, p->key);
                if (!k || k->type != YAML_SCALAR_NODE || k->data.scalar.length == 0) continue;
                size_t kl = k->data.scalar.length;
                if (strncmp(path, (const char *)k->data.scalar.value, kl) == 0 &&
                    (path[kl] == '.' || path[kl] == '\0')) {
                    next = p->value;
                    used = kl;
                    break;
                }
            }
            if (!next) return 0;
            id = next;
            path += used;
        } else if (n->type == YAML_SEQUENCE_NODE) {
            size_t idx = 0, used = 0;
            while (path[used] >= '0' && path[used] <= '9') {
                if (idx > 100000000) return 0;
                idx = idx * 10 + (size_t)(path[used] - '0');
                used++;
            }
            if (!used || (path[used] != '.' && path[used] != '\0')) return 0;
            size_t count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
            if (idx >= count) return 0;
            id = n->data.sequence.items.start[idx];
            path += used;
        } else {
            return 0;
        }
        if (*path == '.') {
            path++;
            if (!*path) return 0;
        }
    }
}

static void ref_error(yaml_config *c, const yaml_node_t *n, const char *what, const char *ref)
{
    if (cv_is_ok(&c->err))
        c->err = cv_error(CV_INVALID_ARGUMENT, "%s: line %zu: !ref %.200s: %s", c->name,
                          (size_t)n->start_mark.line + 1, ref, what);
}

/* "<a[b]>" style keys become "a.b". */
static char *ref_path(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (!p) return NULL;
    size_t o = 0;
    for (size_t k = 0; k < n; k++) {
        if (s[k] == '[') p[o++] = '.';
        else if (s[k] != ']') p[o++] = s[k];
    }
    p[o] = '\0';
    return p;
}

static int lookup_ref(yaml_config *c, const yaml_node_t *n, const char *s, size_t len, int depth)
{
    char *p = ref_path(s, len);
    if (!p) {
        ref_error(c, n, "out of memory", "");
        return 0;
    }
    yaml_node_t *root = yaml_document_get_root_node(&c->doc);
    int t = walk(c, (int)(root - c->doc.nodes.start) + 1, p, depth + 1);
    if (!t) ref_error(c, n, "no such key", p);
    free(p);
    return t;
}

/* Resolves !ref node `id`: either the one node it names, or text with
 * every <key> replaced by that key's scalar value. */
static int resolve(yaml_config *c, int id, int depth)
{
    yaml_node_t *n = node_at(c, id);
    const char *v = (const char *)n->data.scalar.value;
    size_t len = n->data.scalar.length;
    if (depth > MAX_REF_DEPTH) {
        ref_error(c, n, "references nest too deeply (a cycle?)", v);
        return 0;
    }
    c->target[id - 1] = -1;
    size_t a = 0, b = len;
    while (a < b && (v[a] == ' ' || v[a] == '\t')) a++;
    while (b > a && (v[b - 1] == ' ' || v[b - 1] == '\t')) b--;
    const char *lt = memchr(v + a, '<', b - a);
    int result = 0;
    if (b - a >= 3 && v[a] == '<' && v[b - 1] == '>' && !memchr(v + a + 1, '<', b - a - 2) &&
        !memchr(v + a + 1, '>', b - a - 2)) {
        result = lookup_ref(c, n, v + a + 1, b - a - 2, depth);
    } else if (!lt) {
        ref_error(c, n, "expected <key>", v);
    } else {
        /* interpolation: text around one or more <key> references */
        size_t cap = len + 1, o = 0;
        char *out = malloc(cap);
        size_t k = 0;
        while (out && k < len && cv_is_ok(&c->err)) {
            const char *open = memchr(v + k, '<', len - k);
            size_t stop = open ? (size_t)(open - v) : len;
            const char *close = open ? memchr(open, '>', len - stop) : NULL;
            if (open && !close) {
                ref_error(c, n, "unbalanced <", v);
                break;
            }
            size_t piece = stop - k;
            const char *sub = "";
            size_t sublen = 0;
            if (open) {
                int t = lookup_ref(c, n, open + 1, (size_t)(close - open - 1), depth);
                yaml_node_t *tn = node_at(c, t);
                if (!tn) break;
                if (tn->type != YAML_SCALAR_NODE) {
                    ref_error(c, n, "interpolated key is not a scalar", v);
                    break;
                }
                sub = c->text[t - 1] ? c->text[t - 1] : (const char *)tn->data.scalar.value;
                sublen = strlen(sub);
            }
            if (o + piece + sublen + 1 > cap) {
                cap = (o + piece + sublen + 1) * 2;
                if (c->interp_bytes + cap > MAX_INTERP_BYTES) {
                    ref_error(c, n, "interpolated text too long", "");
                    break;
                }
                char *g = realloc(out, cap);
                if (!g) break;
                out = g;
            }
            memcpy(out + o, v + k, piece);
            memcpy(out + o + piece, sub, sublen);
            o += piece + sublen;
            k = open ? (size_t)(close - v) + 1 : len;
        }
        if (!out) ref_error(c, n, "out of memory", "");
        if (out && cv_is_ok(&c->err)) {
            out[o] = '\0';
            c->text[id - 1] = out;
            c->interp_bytes += cap;
            result = id;
        } else {
            free(out);
        }
    }
    c->target[id - 1] = result;
    return result;
}

static int follow(yaml_config *c, int id, int depth)
{
    yaml_node_t *n = node_at(c, id);
    if (!n) return 0;
    if (!is_ref(n)) return id;
    int t = c->target[id - 1];
    if (t == -1) {
        ref_error(c, n, "is part of a reference cycle", (const char *)n->data.scalar.value);
        return 0;
    }
    if (t == 0) t = resolve(c, id, depth + 1);
    if (t == id) return id; /* interpolated text */
    return t ? follow(c, t, depth + 1) : 0;
}

cv_status yaml_config_load_memory(const char *text, size_t len, const char *name, yaml_config **out)
{
    *out = NULL;
    if (len > MAX_YAML_BYTES) return cv_error(CV_INVALID_ARGUMENT, "%s: file too large for a model config", name);
    yaml_config *c = calloc(1, sizeof *c);
    if (!c || !(c->name = strdup(name))) {
        free(c);
        return cv_error(CV_RESOURCE_EXHAUSTED, "%s: out of memory", name);
    }
    c->err = cv_ok();
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        free(c->name);
        free(c);
        return cv_error(CV_RESOURCE_EXHAUSTED, "%s: out of memory", name);
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &c->doc)) {
        cv_status st = cv_error(CV_INVALID_ARGUMENT, "%s: line %zu: %s%s%s", name,
                                (size_t)parser.problem_mark.line + 1,
                                parser.problem ? parser.problem : "YAML error",
                                parser.context ? " " : "", parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        free(c->name);
        free(c);
        return st;
    }
    yaml_parser_delete(&parser);
    c->nnodes = (int)(c->doc.nodes.top - c->doc.nodes.start);
    cv_status st = cv_ok();
    if (!yaml_document_get_root_node(&c->doc) || yaml_document_get_root_node(&c->doc)->type != YAML_MAPPING_NODE) {
        st = cv_error(CV_INVALID_ARGUMENT, "%s: top level is not a mapping of keys", name);
    } else {
        c->target = calloc((size_t)c->nnodes, sizeof *c->target);
        c->text = calloc((size_t)c->nnodes, sizeof *c->text);
        if (!c->target || !c->text) st = cv_error(CV_RESOURCE_EXHAUSTED, "%s: out of memory", name);
    }
    for (int id = 1; cv_is_ok(&st) && id <= c->nnodes && cv_is_ok(&c->err); id++)
        if (is_ref(node_at(c, id)) && c->target[id - 1] == 0) follow(c, id, 0);
    if (cv_is_ok(&st)) st = c->err;
    if (!cv_is_ok(&st)) {
        yaml_config_free(c);
        return st;
    }
    *out = c;
    return cv_ok();
}

cv_status yaml_config_load(const char *path, yaml_config **out)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return cv_error(errno == ENOENT ? CV_NOT_FOUND : CV_INVALID_ARGUMENT, "%s: cannot open: %s", path,
                        strerror(errno));
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode) || (uint64_t)sb.st_size > MAX_YAML_BYTES) {
        fclose(f);
        return cv_error(CV_INVALID_ARGUMENT, "%s: not a regular file of at most %u bytes", path, MAX_YAML_BYTES);
    }
    size_t n = (size_t)sb.st_size;
    char *buf = malloc(n + 1);
    if (!buf) {
        fclose(f);
        return cv_error(CV_RESOURCE_EXHAUSTED, "%s: out of memory", path);
    }
    size_t got = fread(buf, 1, n, f);
    fclose(f);
    if (got != n) {
        free(buf);
        return cv_error(CV_INVALID_ARGUMENT, "%s: read error", path);
    }
    cv_status st = yaml_config_load_memory(buf, n, path, out);
    free(buf);
    return st;
}

void yaml_config_free(yaml_config *c)
{
    if (!c) return;
    if (c->text)
        for (int k = 0; k < c->nnodes; k++) free(c->text[k]);
    free(c->text);
    free(c->target);
    yaml_document_delete(&c->doc);
    free(c->name);
    free(c);
}

/* After loading every !ref is resolved, so walking mutates nothing. */
static const yaml_node_t *find(const yaml_config *c, const char *path, int *idp)
{
    if (!c || !path) return NULL;
    yaml_config *m = (yaml_config *)c;
    yaml_node_t *root = yaml_document_get_root_node(&m->doc);
    int id = walk(m, (int)(root - m->doc.nodes.start) + 1, path, 0);
    if (idp) *idp = id;
    return node_at(c, id);
}

static const char *scalar(const yaml_config *c, const char *path)
{
    int id = 0;
    const yaml_node_t *n = find(c, path, &id);
    if (!n || n->type != YAML_SCALAR_NODE) return NULL;
    return c->text[id - 1] ? c->text[id - 1] : (const char *)n->data.scalar.value;
}

bool yaml_config_has(const yaml_config *c, const char *path) { return find(c, path, NULL) != NULL; }

long yaml_config_int(const yaml_config *c, const char *path, long def)
{
    const char *s = scalar(c, path);
    if (!s || !*s) return def;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    return errno || *end ? def : v;
}

double yaml_config_float(const yaml_config *c, const char *path, double def)
{
    const char *s = scalar(c, path);
    if (!s || !*s || strspn(s, "0123456789+-.eE") != strlen(s)) return def;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    return errno || *end ? def : v;
}

bool yaml_config_bool(const yaml_config *c, const char *path, bool def)
{
    static const char *yes[] = {"True", "true", "TRUE", "yes", "Yes", "on", "On"};
    static const char *no[] = {"False", "false", "FALSE", "no", "No", "off", "Off"};
    const char *s = scalar(c, path);
    if (!s) return def;
    for (size_t k = 0; k < sizeof yes / sizeof yes[0]; k++) {
        if (strcmp(s, yes[k]) == 0) return true;
        if (strcmp(s, no[k]) == 0) return false;
    }
    return def;
}

const char *yaml_config_str(const yaml_config *c, const char *path, const char *def)
{
    const char *s = scalar(c, path);
    return s ? s : def;
}

bool yaml_config_is_null(const yaml_config *c, const char *path)
{
    int id = 0;
    const yaml_node_t *n = find(c, path, &id);
    if (!n || n->type != YAML_SCALAR_NODE || c->text[id - 1] ||
        n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
    for (size_t k = 0; k < sizeof nulls / sizeof nulls[0]; k++)
        if (strcmp((const char *)n->data.scalar.value, nulls[k]) == 0) return true;
    return false;
}

static const char *const tag_kinds[] = {"new", "name", "apply"};

const char *yaml_config_tag(const yaml_config *c, const char *path)
{
    const yaml_node_t *n = find(c, path, NULL);
    if (!n || !n->tag || n->tag[0] != '!' || is_ref(n)) return NULL;
    const char *t = (const char *)n->tag + 1;
    for (size_t k = 0; k < 3; k++) {
        size_t l = strlen(tag_kinds[k]);
        if (strncmp(t, tag_kinds[k], l) == 0 && t[l] == ':') return t + l + 1;
    }
    return t;
}

const char *yaml_config_tag_kind(const yaml_config *c, const char *path)
{
    const yaml_node_t *n = find(c, path, NULL);
    if (!n || !n->tag || n->tag[0] != '!') return NULL;
    const char *t = (const char *)n->tag + 1;
    for (size_t k = 0; k < 3; k++) {
        size_t l = strlen(tag_kinds[k]);
        if (strncmp(t, tag_kinds[k], l) == 0 && t[l] == ':') return tag_kinds[k];
    }
    return NULL;
}

size_t yaml_config_len(const yaml_config *c, const char *path)
{
    const yaml_node_t *n = find(c, path, NULL);
    if (!n) return 0;
    if (n->type == YAML_SEQUENCE_NODE) return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    if (n->type == YAML_MAPPING_NODE) return (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
    return 0;
}

const char *yaml_config_key(const yaml_config *c, const char *path, size_t i)
{
    const yaml_node_t *n = find(c, path, NULL);
    if (!n || n->type != YAML_MAPPING_NODE) return NULL;
    if (i >= (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start)) return NULL;
    const yaml_node_t *k = node_at(c, n->data.mapping.pairs.start[i].key);
    return k && k->type == YAML_SCALAR_NODE ? (const char *)k->data.scalar.value : NULL;
}
