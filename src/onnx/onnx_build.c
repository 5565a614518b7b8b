#include "onnx/onnx_build.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Everything the builder allocates is recorded here and freed at the end
 * (the protobuf-c messages point into these blocks). */
struct oxb {
    Onnx__ModelProto model;
    Onnx__GraphProto graph;
    Onnx__OperatorSetIdProto opset;
    Onnx__OperatorSetIdProto *opsets[1];
    void **blocks;
    size_t n_blocks, cap_blocks;
};

static void *keep(oxb *b, void *p)
{
    if (!p) abort();
    if (b->n_blocks == b->cap_blocks) {
        b->cap_blocks = b->cap_blocks ? 2 * b->cap_blocks : 64;
        b->blocks = realloc(b->blocks, sizeof(void *) * b->cap_blocks);
        if (!b->blocks) abort();
    }
    b->blocks[b->n_blocks++] = p;
    return p;
}

static void *zalloc(oxb *b, size_t n) { return keep(b, calloc(1, n ? n : 1)); }

static char *dup(oxb *b, const char *s)
{
    size_t n = strlen(s) + 1;
    char *c = zalloc(b, n);
    memcpy(c, s, n);
    return c;
}

/* appends p to a pointer array of *n elements (kept in the arena) */
static void **push(oxb *b, void **arr, size_t *n, void *p)
{
    void **a = zalloc(b, sizeof(void *) * (*n + 1));
    if (*n) memcpy(a, arr, sizeof(void *) * *n);
    a[(*n)++] = p;
    return a;
}

oxb *oxb_new(int opset)
{
    oxb *b = calloc(1, sizeof *b);
    if (!b) abort();
    onnx__model_proto__init(&b->model);
    onnx__graph_proto__init(&b->graph);
    onnx__operator_set_id_proto__init(&b->opset);
    b->opset.domain = "";
    b->opset.has_version = 1;
    b->opset.version = opset;
    b->opsets[0] = &b->opset;
    b->model.has_ir_version = 1;
    b->model.ir_version = 8;
    b->model.n_opset_import = 1;
    b->model.opset_import = b->opsets;
    b->model.producer_name = "cosyvoice-c onnx_build";
    b->model.graph = &b->graph;
    b->graph.name = "g";
    return b;
}

void oxb_free(oxb *b)
{
    if (!b) return;
    for (size_t i = 0; i < b->n_blocks; i++) free(b->blocks[i]);
    free(b->blocks);
    free(b);
}

static Onnx__ValueInfoProto *value_info(oxb *b, const char *name)
{
    Onnx__ValueInfoProto *v = zalloc(b, sizeof *v);
    onnx__value_info_proto__init(v);
    v->name = dup(b, name);
    return v;
}

void oxb_input(oxb *b, const char *name)
{
    b->graph.input = (Onnx__ValueInfoProto **)push(b, (void **)b->graph.input, &b->graph.n_input,
                                                   value_info(b, name));
}

void oxb_output(oxb *b, const char *name)
{
    b->graph.output = (Onnx__ValueInfoProto **)push(b, (void **)b->graph.output,
                                                    &b->graph.n_output, value_info(b, name));
}

static Onnx__TensorProto *tensor(oxb *b, const char *name, int dt, int ndim, const int64_t *dims,
                                 const void *data, size_t item)
{
    Onnx__TensorProto *t = zalloc(b, sizeof *t);
    onnx__tensor_proto__init(t);
    t->name = dup(b, name);
    t->has_data_type = 1;
    t->data_type = dt;
    t->n_dims = (size_t)ndim;
    t->dims = zalloc(b, sizeof(int64_t) * (ndim ? ndim : 1));
    size_t count = 1;
    for (int i = 0; i < ndim; i++) {
        t->dims[i] = dims[i];
        count *= (size_t)dims[i];
    }
    t->has_raw_data = 1;
    t->raw_data.len = count * item;
    t->raw_data.data = zalloc(b, count * item);
    if (count) memcpy(t->raw_data.data, data, count * item);
    return t;
}

static void add_init(oxb *b, Onnx__TensorProto *t)
{
    b->graph.initializer = (Onnx__TensorProto **)push(b, (void **)b->graph.initializer,
                                                      &b->graph.n_initializer, t);
}

void oxb_init_f(oxb *b, const char *name, int ndim, const int64_t *dims, const float *data)
{
    add_init(b, tensor(b, name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, ndim, dims, data, 4));
}

void oxb_init_i64(oxb *b, const char *name, int ndim, const int64_t *dims, const int64_t *data)
{
    add_init(b, tensor(b, name, ONNX__TENSOR_PROTO__DATA_TYPE__INT64, ndim, dims, data, 8));
}

/* splits "a,b,,c" into a kept array of kept strings */
static char **split(oxb *b, const char *s, size_t *n)
{
    *n = 0;
    if (!s || !*s) return NULL;
    size_t cnt = 1;
    for (const char *p = s; *p; p++) cnt += *p == ',';
    char **out = zalloc(b, sizeof(char *) * cnt);
    const char *start = s;
    for (const char *p = s;; p++) {
        if (*p == ',' || !*p) {
            size_t len = (size_t)(p - start);
            char *e = zalloc(b, len + 1);
            memcpy(e, start, len);
            out[(*n)++] = e;
            if (!*p) break;
            start = p + 1;
        }
    }
    return out;
}

oxb_node *oxb_add(oxb *b, const char *op, const char *inputs, const char *outputs)
{
    Onnx__NodeProto *n = zalloc(b, sizeof *n);
    onnx__node_proto__init(n);
    n->op_type = dup(b, op);
    char name[64];
    snprintf(name, sizeof name, "%s_%zu", op, b->graph.n_node);
    n->name = dup(b, name);
    n->input = split(b, inputs, &n->n_input);
    n->output = split(b, outputs, &n->n_output);
    b->graph.node = (Onnx__NodeProto **)push(b, (void **)b->graph.node, &b->graph.n_node, n);
    return n;
}

void oxb_const_i64(oxb *b, const char *name, int n, const int64_t *v)
{
    oxb_node *c = oxb_add(b, "Constant", "", name);
    Onnx__AttributeProto *a = zalloc(b, sizeof *a);
    onnx__attribute_proto__init(a);
    a->name = dup(b, "value");
    a->has_type = 1;
    a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
    int64_t dims[1] = {n};
    a->t = tensor(b, name, ONNX__TENSOR_PROTO__DATA_TYPE__INT64, 1, dims, v, 8);
    c->attribute = (Onnx__AttributeProto **)push(b, (void **)c->attribute, &c->n_attribute, a);
}

static Onnx__AttributeProto *attr(oxb *b, oxb_node *n, const char *name, int type)
{
    Onnx__AttributeProto *a = zalloc(b, sizeof *a);
    onnx__attribute_proto__init(a);
    a->name = dup(b, name);
    a->has_type = 1;
    a->type = type;
    n->attribute = (Onnx__AttributeProto **)push(b, (void **)n->attribute, &n->n_attribute, a);
    return a;
}

void oxb_attr_i(oxb *b, oxb_node *n, const char *name, int64_t v)
{
    Onnx__AttributeProto *a = attr(b, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    a->has_i = 1;
    a->i = v;
}

void oxb_attr_f(oxb *b, oxb_node *n, const char *name, float v)
{
    Onnx__AttributeProto *a = attr(b, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    a->has_f = 1;
    a->f = v;
}

void oxb_attr_s(oxb *b, oxb_node *n, const char *name, const char *v)
{
    Onnx__AttributeProto *a = attr(b, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
    a->has_s = 1;
    a->s.data = (uint8_t *)dup(b, v);
    a->s.len = strlen(v);
}

void oxb_attr_ints(oxb *b, oxb_node *n, const char *name, int count, const int64_t *v)
{
    Onnx__AttributeProto *a = attr(b, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    a->n_ints = (size_t)count;
    a->ints = zalloc(b, sizeof(int64_t) * (count ? count : 1));
    if (count) memcpy(a->ints, v, sizeof(int64_t) * count);
}

void oxb_attr_tensor_f(oxb *b, oxb_node *n, const char *name, int ndim, const int64_t *dims,
                       const float *data)
{
    Onnx__AttributeProto *a = attr(b, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR);
    a->t = tensor(b, name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, ndim, dims, data, 4);
}

uint8_t *oxb_pack(oxb *b, size_t *len)
{
    *len = onnx__model_proto__get_packed_size(&b->model);
    uint8_t *buf = malloc(*len ? *len : 1);
    if (!buf) abort();
    onnx__model_proto__pack(&b->model, buf);
    return buf;
}

/* streams the serialised model to a file (no second copy of big weights) */
typedef struct file_buffer {
    ProtobufCBuffer base;
    FILE *f;
    int err;
} file_buffer;

static void file_append(ProtobufCBuffer *buf, size_t len, const uint8_t *data)
{
    file_buffer *fb = (file_buffer *)buf;
    if (fwrite(data, 1, len, fb->f) != len) fb->err = 1;
}

int oxb_save(oxb *b, const char *path)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    file_buffer fb = {{file_append}, f, 0};
    onnx__model_proto__pack_to_buffer(&b->model, &fb.base);
    if (fclose(f) != 0) fb.err = 1;
    return fb.err ? -1 : 0;
}

Onnx__ModelProto *oxb_model(oxb *b) { return &b->model; }

Onnx__TensorProto *oxb_initializer(oxb *b, const char *name)
{
    for (size_t i = 0; i < b->graph.n_initializer; i++)
        if (!strcmp(b->graph.initializer[i]->name, name)) return b->graph.initializer[i];
    return NULL;
}
