/* ONNX model loading (protobuf-c) and graph execution. Nodes run in file
 * order (ONNX requires a topological order); each intermediate value is
 * freed after its last consumer. Initializers and Constant nodes become
 * shared read-only tensors at load time. */
#include "onnx/onnx_model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>

#include "onnx/onnx_internal.h"

struct ox_model {
    Onnx__ModelProto *proto;
    int n_values;
    const char **names;  /* value id -> name (borrowed from proto) */
    ox_tensor **consts;  /* value id -> constant tensor or NULL */
    int n_nodes;
    ox_node *nodes;
    int *last_use;       /* value id -> index of the last node reading it */
    int n_inputs, n_outputs;
    int *inputs, *outputs; /* value ids */
    int n_folded;
    bool profile;          /* CV_ONNX_PROFILE set at load: per-operator times to stderr */
};

/* ---- name table ---------------------------------------------------------- */

typedef struct name_map {
    const char **keys;
    int *ids;
    size_t cap;
} name_map;

static size_t hash_str(const char *s)
{
    size_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static int map_find(const name_map *m, const char *k)
{
    for (size_t i = hash_str(k) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (!m->keys[i]) return -1;
        if (!strcmp(m->keys[i], k)) return m->ids[i];
    }
}

/* id of k, adding it (as value `next`) when new */
static int map_intern(name_map *m, const char *k, int *next, const char **names)
{
    size_t i = hash_str(k) & (m->cap - 1);
    for (; m->keys[i]; i = (i + 1) & (m->cap - 1))
        if (!strcmp(m->keys[i], k)) return m->ids[i];
    m->keys[i] = k;
    m->ids[i] = (*next)++;
    names[m->ids[i]] = k;
    return m->ids[i];
}

/* ---- loading -------------------------------------------------------------- */

void ox_model_free(ox_model *m)
{
    if (!m) return;
    if (m->consts)
        for (int i = 0; i < m->n_values; i++) ox_tensor_free(m->consts[i]);
    free(m->consts);
    if (m->nodes)
        for (int i = 0; i < m->n_nodes; i++) {
            free(m->nodes[i].in);
            free(m->nodes[i].out);
        }
    free(m->nodes);
    free(m->names);
    free(m->last_use);
    free(m->inputs);
    free(m->outputs);
    if (m->proto) onnx__model_proto__free_unpacked(m->proto, NULL);
    free(m);
}

static cv_status constant_value(const ox_node *n, ox_tensor **out)
{
    const Onnx__AttributeProto *a = ox_attr(n, "value");
    if (a && a->t) return ox_tensor_from_proto(a->t, out);
    a = ox_attr(n, "value_float");
    if (a) {
        *out = ox_tensor_new(OX_FLOAT, 0, NULL);
        if (*out) ox_f(*out)[0] = a->f;
    } else if ((a = ox_attr(n, "value_int"))) {
        *out = ox_tensor_new(OX_INT64, 0, NULL);
        if (*out) ox_i64(*out)[0] = a->i;
    } else if ((a = ox_attr(n, "value_ints"))) {
        int64_t len = (int64_t)a->n_ints;
        *out = ox_tensor_new(OX_INT64, 1, &len);
        if (*out && len) memcpy((*out)->data, a->ints, sizeof(int64_t) * a->n_ints);
    } else if ((a = ox_attr(n, "value_floats"))) {
        int64_t len = (int64_t)a->n_floats;
        *out = ox_tensor_new(OX_FLOAT, 1, &len);
        if (*out && len) memcpy((*out)->data, a->floats, sizeof(float) * a->n_floats);
    } else {
        return ox_err(n, "Constant without a supported value attribute");
    }
    return *out ? cv_ok() : ox_oom(n);
}

/* Largest tensor a folded node may leave behind (bigger results are
 * recomputed per run rather than kept resident). */
#define FOLD_MAX_ELEMS ((size_t)1 << 24)

/* Evaluates, once, every node whose inputs are all constants (initializers,
 * Constant nodes, earlier folded nodes): shape arithmetic on constants and
 * terms such as a codebook's squared norms. A node that fails here is left
 * for run time, where its error surfaces with the inputs of the call. */
static void fold_constants(ox_model *m)
{
    for (int i = 0; i < m->n_nodes; i++) {
        ox_node *n = &m->nodes[i];
        if (!strcmp(n->proto->op_type, "Constant") || n->n_in == 0 || n->n_in > 64 || n->n_out > 64)
            continue;
        const ox_tensor *in[64];
        ox_tensor *out[64] = {0};
        bool all = true;
        for (int k = 0; k < n->n_in && all; k++) {
            in[k] = n->in[k] >= 0 ? m->consts[n->in[k]] : NULL;
            if (n->in[k] >= 0 && !in[k]) all = false;
            if (n->in[k] < 0 && k < n->op->min_in) all = false;
            for (int j = 0; j < n->n_out; j++) all = all && n->out[j] != n->in[k];
        }
        if (!all) continue;
        cv_status st = n->op->run(n, in, out);
        bool keep = cv_is_ok(&st);
        for (int j = 0; j < n->n_out; j++) keep = keep && out[j] && out[j]->count <= FOLD_MAX_ELEMS;
        for (int j = 0; j < n->n_out; j++) {
            if (keep) {
                ox_tensor_free(m->consts[n->out[j]]);
                m->consts[n->out[j]] = out[j];
            } else {
                ox_tensor_free(out[j]);
            }
        }
        if (keep) {
            n->folded = true;
            m->n_folded++;
        }
    }
}

static cv_status build(ox_model *m, const char *name)
{
    const Onnx__GraphProto *g = m->proto->graph;
    if (!g) return cv_error(CV_INVALID_ARGUMENT, "%s: ONNX model has no graph", name);
    for (size_t i = 0; i < m->proto->n_opset_import; i++) {
        const char *d = m->proto->opset_import[i]->domain;
        if (d && *d && strcmp(d, "ai.onnx"))
            return cv_error(CV_UNIMPLEMENTED, "%s: ONNX operator domain '%s' is not supported",
                            name, d);
    }
    /* every name that can be a value, bounded by what the graph mentions */
    size_t max_values = g->n_input + g->n_initializer + g->n_output + 1;
    for (size_t i = 0; i < g->n_node; i++) max_values += g->node[i]->n_input + g->node[i]->n_output;
    if (max_values > (1u << 26)) return cv_error(CV_INVALID_ARGUMENT, "%s: graph too large", name);
    name_map map = {0};
    map.cap = 16;
    while (map.cap < max_values * 2) map.cap <<= 1;
    map.keys = calloc(map.cap, sizeof *map.keys);
    map.ids = calloc(map.cap, sizeof *map.ids);
    m->names = calloc(max_values, sizeof *m->names);
    m->consts = calloc(max_values, sizeof *m->consts);
    m->nodes = calloc(g->n_node ? g->n_node : 1, sizeof *m->nodes);
    m->inputs = calloc(g->n_input + 1, sizeof *m->inputs);
    m->outputs = calloc(g->n_output + 1, sizeof *m->outputs);
    cv_status st = cv_ok();
    if (!map.keys || !map.ids || !m->names || !m->consts || !m->nodes || !m->inputs || !m->outputs) {
        st = cv_error(CV_RESOURCE_EXHAUSTED, "%s: out of memory", name);
        goto out;
    }
    int next = 0;
    for (size_t i = 0; i < g->n_initializer; i++) {
        Onnx__TensorProto *t = g->initializer[i];
        if (!t->name) continue;
        int id = map_intern(&map, t->name, &next, m->names);
        ox_tensor_free(m->consts[id]);
        m->consts[id] = NULL;
        st = ox_tensor_take_proto(t, true, &m->consts[id]);
        if (!cv_is_ok(&st)) goto out;
    }
    for (size_t i = 0; i < g->n_input; i++) {
        const char *in = g->input[i]->name;
        if (!in) continue;
        int id = map_intern(&map, in, &next, m->names);
        if (!m->consts[id]) m->inputs[m->n_inputs++] = id;
    }
    for (size_t i = 0; i < g->n_node; i++) {
        const Onnx__NodeProto *np = g->node[i];
        ox_node *n = &m->nodes[m->n_nodes++];
        n->proto = np;
        if (!np->op_type) {
            st = cv_error(CV_INVALID_ARGUMENT, "%s: ONNX node without an operator type", name);
            goto out;
        }
        if (np->domain && *np->domain && strcmp(np->domain, "ai.onnx")) {
            st = cv_error(CV_UNIMPLEMENTED, "%s: ONNX operator %s of domain '%s' is not supported",
                          name, np->op_type, np->domain);
            goto out;
        }
        n->op = ox_find_op(np->op_type);
        if (!n->op) {
            st = cv_error(CV_UNIMPLEMENTED,
                          "%s: ONNX operator '%s' (node '%s') is not supported by this interpreter",
                          name, np->op_type, np->name ? np->name : "");
            goto out;
        }
        if ((int)np->n_input < n->op->min_in || (int)np->n_input > n->op->max_in ||
            np->n_output < 1) {
            st = cv_error(CV_INVALID_ARGUMENT, "%s: ONNX %s node '%s' has %zu inputs, %zu outputs",
                          name, np->op_type, np->name ? np->name : "", np->n_input, np->n_output);
            goto out;
        }
        n->n_in = (int)np->n_input;
        n->n_out = (int)np->n_output;
        n->in = malloc(sizeof(int) * (n->n_in ? n->n_in : 1));
        n->out = malloc(sizeof(int) * n->n_out);
        if (!n->in || !n->out) {
            st = cv_error(CV_RESOURCE_EXHAUSTED, "%s: out of memory", name);
            goto out;
        }
        for (int k = 0; k < n->n_in; k++) {
            const char *v = np->input[k];
            if (!v || !*v) {
                n->in[k] = -1;
                continue;
            }
            n->in[k] = map_find(&map, v);
            if (n->in[k] < 0) {
                st = cv_error(CV_INVALID_ARGUMENT,
                              "%s: ONNX node '%s' reads '%s' before anything produces it", name,
                              np->name ? np->name : "", v);
                goto out;
            }
        }
        for (int k = 0; k < n->n_out; k++)
            n->out[k] = map_intern(&map, np->output[k] ? np->output[k] : "", &next, m->names);
        if (!strcmp(np->op_type, "Constant")) { /* evaluated once, here */
            ox_tensor_free(m->consts[n->out[0]]); /* a name defined twice: the last wins */
            m->consts[n->out[0]] = NULL;
            st = constant_value(n, &m->consts[n->out[0]]);
            if (!cv_is_ok(&st)) goto out;
        }
    }
    fold_constants(m);
    for (size_t i = 0; i < g->n_output; i++) {
        int id = g->output[i]->name ? map_find(&map, g->output[i]->name) : -1;
        if (id < 0) {
            st = cv_error(CV_INVALID_ARGUMENT, "%s: ONNX graph output '%s' is never produced", name,
                          g->output[i]->name ? g->output[i]->name : "");
            goto out;
        }
        m->outputs[m->n_outputs++] = id;
    }
    m->n_values = next;
    m->last_use = malloc(sizeof(int) * (next ? next : 1));
    if (!m->last_use) {
        st = cv_error(CV_RESOURCE_EXHAUSTED, "%s: out of memory", name);
        goto out;
    }
    for (int v = 0; v < next; v++) m->last_use[v] = -1;
    for (int i = 0; i < m->n_nodes; i++)
        for (int k = 0; k < m->nodes[i].n_in; k++)
            if (m->nodes[i].in[k] >= 0) m->last_use[m->nodes[i].in[k]] = i;
    for (int j = 0; j < m->n_outputs; j++) m->last_use[m->outputs[j]] = m->n_nodes; /* kept */
out:
    if (!m->n_values) m->n_values = next;
    free(map.keys);
    free(map.ids);
    return st;
}

cv_status ox_model_load_memory(const void *buf, size_t len, const char *name, ox_model **out)
{
    *out = NULL;
    ox_model *m = calloc(1, sizeof *m);
    if (!m) return cv_error(CV_RESOURCE_EXHAUSTED, "%s: out of memory", name);
    m->proto = onnx__model_proto__unpack(NULL, len, buf);
    if (!m->proto) {
        free(m);
        return cv_error(CV_INVALID_ARGUMENT, "%s: not a valid ONNX file (protobuf parse failed: "
                                             "truncated or corrupt)", name);
    }
    m->profile = getenv("CV_ONNX_PROFILE") != NULL;
    cv_status st = build(m, name);
    if (!cv_is_ok(&st)) {
        ox_model_free(m);
        return st;
    }
    *out = m;
    return cv_ok();
}

cv_status ox_model_load(const char *path, ox_model **out)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return cv_error(errno == ENOENT ? CV_NOT_FOUND : CV_INVALID_ARGUMENT, "%s: cannot open: %s",
                        path, strerror(errno));
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        fclose(f);
        return cv_error(CV_INVALID_ARGUMENT, "%s: not a regular file", path);
    }
    /* mapped, not read: the file's pages need not stay resident next to the
     * unpacked copy of a several-hundred-megabyte model */
    size_t n = (size_t)sb.st_size;
    void *map = n ? mmap(NULL, n, PROT_READ, MAP_PRIVATE, fileno(f), 0) : NULL;
    fclose(f);
    if (n && map == MAP_FAILED)
        return cv_error(CV_INVALID_ARGUMENT, "%s: cannot map: %s", path, strerror(errno));
    cv_status st = ox_model_load_memory(n ? map : "", n, path, out);
    if (n) munmap(map, n);
    return st;
}

int ox_model_n_inputs(const ox_model *m) { return m->n_inputs; }
int ox_model_n_folded(const ox_model *m) { return m->n_folded; }
int ox_model_n_outputs(const ox_model *m) { return m->n_outputs; }
const char *ox_model_input_name(const ox_model *m, int i) { return m->names[m->inputs[i]]; }
const char *ox_model_output_name(const ox_model *m, int i) { return m->names[m->outputs[i]]; }

int ox_model_input_index(const ox_model *m, const char *name)
{
    for (int i = 0; i < m->n_inputs; i++)
        if (!strcmp(m->names[m->inputs[i]], name)) return i;
    return -1;
}

int ox_model_output_index(const ox_model *m, const char *name)
{
    for (int i = 0; i < m->n_outputs; i++)
        if (!strcmp(m->names[m->outputs[i]], name)) return i;
    return -1;
}

const char *ox_model_last_node_input(const ox_model *m, const char *op_type, int k)
{
    for (int i = m->n_nodes - 1; i >= 0; i--)
        if (!strcmp(m->nodes[i].proto->op_type, op_type))
            return k >= 0 && k < m->nodes[i].n_in && m->nodes[i].in[k] >= 0
                       ? m->names[m->nodes[i].in[k]]
                       : NULL;
    return NULL;
}

/* ---- execution ----------------------------------------------------------- */

#define OX_MAX_NODE_IO 64

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int value_id(const ox_model *m, const char *name)
{
    for (int v = 0; v < m->n_values; v++)
        if (m->names[v] && !strcmp(m->names[v], name)) return v;
    return -1;
}

cv_status ox_run(const ox_model *m, const ox_tensor *const *inputs, ox_tensor **outputs)
{
    return ox_run_ex(m, inputs, outputs, NULL, 0, NULL);
}

cv_status ox_run_ex(const ox_model *m, const ox_tensor *const *inputs, ox_tensor **outputs,
                    const char *const *extra_names, int n_extra, ox_tensor **extra)
{
    for (int j = 0; j < m->n_outputs; j++) outputs[j] = NULL;
    int extra_ids[8];
    if (n_extra > 8) return cv_error(CV_INVALID_ARGUMENT, "ONNX run: too many extra values");
    for (int j = 0; j < n_extra; j++) {
        extra[j] = NULL;
        extra_ids[j] = value_id(m, extra_names[j]);
        if (extra_ids[j] < 0)
            return cv_error(CV_NOT_FOUND, "ONNX graph has no value '%s'", extra_names[j]);
    }
    /* vals[v]: the value's tensor; owned[v]: whether this run allocated it */
    const ox_tensor **vals = calloc(m->n_values ? m->n_values : 1, sizeof *vals);
    ox_tensor **owned = calloc(m->n_values ? m->n_values : 1, sizeof *owned);
    if (!vals || !owned) {
        free(vals);
        free(owned);
        return cv_error(CV_RESOURCE_EXHAUSTED, "ONNX run: out of memory");
    }
    for (int v = 0; v < m->n_values; v++) vals[v] = m->consts[v];
    for (int i = 0; i < m->n_inputs; i++) vals[m->inputs[i]] = inputs[i];
    cv_status st = cv_ok();
    const ox_op *prof_op[64];
    double prof_t[64];
    int n_prof = 0;
    for (int i = 0; i < m->n_nodes && cv_is_ok(&st); i++) {
        const ox_node *n = &m->nodes[i];
        if (n->folded || !strcmp(n->proto->op_type, "Constant")) continue;
        if (n->n_in > OX_MAX_NODE_IO || n->n_out > OX_MAX_NODE_IO) {
            st = ox_err(n, "too many inputs or outputs");
            break;
        }
        const ox_tensor *in[OX_MAX_NODE_IO];
        ox_tensor *out[OX_MAX_NODE_IO] = {0};
        for (int k = 0; k < n->n_in; k++) {
            in[k] = n->in[k] >= 0 ? vals[n->in[k]] : NULL;
            if (n->in[k] >= 0 && !in[k]) st = ox_err(n, "input %d has no value", k);
            if (n->in[k] < 0 && k < n->op->min_in) st = ox_err(n, "required input %d is omitted", k);
        }
        if (!cv_is_ok(&st)) break;
        double t0 = m->profile ? now_s() : 0;
        st = n->op->run(n, in, out);
        if (m->profile) {
            const double dt = now_s() - t0;
            for (int k = 0; k < n_prof; k++)
                if (prof_op[k] == n->op) {
                    prof_t[k] += dt;
                    goto timed;
                }
            if (n_prof < 64) {
                prof_op[n_prof] = n->op;
                prof_t[n_prof++] = dt;
            }
        timed:;
        }
        for (int k = 0; k < n->n_out; k++) {
            if (cv_is_ok(&st) && !out[k] && k == 0) st = ox_err(n, "produced no output");
            int v = n->out[k];
            if (owned[v]) ox_tensor_free(owned[v]); /* a value written twice */
            owned[v] = out[k];
            vals[v] = out[k];
        }
        /* release what no later node reads */
        for (int k = 0; k < n->n_in; k++) {
            int v = n->in[k];
            bool wanted = false;
            for (int j = 0; j < n_extra; j++) wanted |= extra_ids[j] == v;
            if (v >= 0 && m->last_use[v] == i && owned[v] && !wanted) {
                ox_tensor_free(owned[v]);
                owned[v] = NULL;
                vals[v] = NULL;
            }
        }
    }
    for (int j = 0; j < m->n_outputs && cv_is_ok(&st); j++) {
        int v = m->outputs[j];
        if (owned[v]) {
            outputs[j] = owned[v];
            owned[v] = NULL;
        } else if (vals[v]) {
            outputs[j] = ox_tensor_clone(vals[v]);
            if (!outputs[j]) st = cv_error(CV_RESOURCE_EXHAUSTED, "ONNX run: out of memory");
        } else {
            st = cv_error(CV_INVALID_ARGUMENT, "ONNX output '%s' was not computed", m->names[v]);
        }
    }
    for (int j = 0; j < n_extra && cv_is_ok(&st); j++) {
        const ox_tensor *t = vals[extra_ids[j]];
        extra[j] = t ? ox_tensor_clone(t) : NULL;
        if (!extra[j]) st = cv_error(CV_INTERNAL, "ONNX value '%s' unavailable", extra_names[j]);
    }
    if (!cv_is_ok(&st)) {
        for (int j = 0; j < n_extra; j++) {
            ox_tensor_free(extra[j]);
            extra[j] = NULL;
        }
    }
    if (!cv_is_ok(&st))
        for (int j = 0; j < m->n_outputs; j++) {
            ox_tensor_free(outputs[j]);
            outputs[j] = NULL;
        }
    if (m->profile)
        for (int k = 0; k < n_prof; k++)
            fprintf(stderr, "onnx profile: %-20s %.4f s\n", prof_op[k]->name, prof_t[k]);
    for (int v = 0; v < m->n_values; v++) ox_tensor_free(owned[v]);
    free(vals);
    free(owned);
    return st;
}
