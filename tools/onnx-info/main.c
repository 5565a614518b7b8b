/* cosyvoice-onnx-info FILE...: what an .onnx file contains and whether the
 * built-in interpreter can run it - opset, inputs/outputs, operator counts
 * with unsupported ones marked, initializer types, external data. Exit
 * status 0 if the file loads, 1 otherwise. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx.pb-c.h"
#include "onnx/onnx_internal.h"
#include "onnx/onnx_model.h"

typedef struct op_count {
    const char *name;
    int n;
} op_count;

static int info(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return 1;
    }
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    rewind(f);
    uint8_t *buf = malloc(len > 0 ? (size_t)len : 1);
    size_t got = buf ? fread(buf, 1, (size_t)(len > 0 ? len : 0), f) : 0;
    fclose(f);
    Onnx__ModelProto *m = buf && got == (size_t)len ? onnx__model_proto__unpack(NULL, got, buf) : NULL;
    free(buf);
    if (!m || !m->graph) {
        printf("%s: not a readable ONNX model\n", path);
        if (m) onnx__model_proto__free_unpacked(m, NULL);
        return 1;
    }
    const Onnx__GraphProto *g = m->graph;
    printf("%s: ir %lld, producer %s", path, (long long)m->ir_version,
           m->producer_name ? m->producer_name : "?");
    for (size_t i = 0; i < m->n_opset_import; i++)
        printf(", opset %s%s%lld", m->opset_import[i]->domain && *m->opset_import[i]->domain
                                       ? m->opset_import[i]->domain : "", 
               m->opset_import[i]->domain && *m->opset_import[i]->domain ? "=" : "",
               (long long)m->opset_import[i]->version);
    printf("\n  inputs:");
    for (size_t i = 0; i < g->n_input; i++) printf(" %s", g->input[i]->name);
    printf("\n  outputs:");
    for (size_t i = 0; i < g->n_output; i++) printf(" %s", g->output[i]->name);
    size_t n_ext = 0, bytes = 0;
    int types[32] = {0};
    for (size_t i = 0; i < g->n_initializer; i++) {
        const Onnx__TensorProto *t = g->initializer[i];
        n_ext += t->n_external_data > 0 || t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
        bytes += t->raw_data.len + 4 * t->n_float_data + 8 * t->n_int64_data + 4 * t->n_int32_data;
        if (t->data_type >= 0 && t->data_type < 32) types[t->data_type]++;
    }
    printf("\n  %zu nodes, %zu initializers (%.1f MB", g->n_node, g->n_initializer, bytes / 1e6);
    for (int t = 0; t < 32; t++)
        if (types[t]) printf(", %d %s", types[t], ox_dtype_name(t));
    printf(")%s\n", n_ext ? ", EXTERNAL DATA (unsupported)" : "");
    op_count ops[256];
    int n_ops = 0;
    for (size_t i = 0; i < g->n_node; i++) {
        const char *op = g->node[i]->op_type ? g->node[i]->op_type : "?";
        int k = 0;
        while (k < n_ops && strcmp(ops[k].name, op)) k++;
        if (k == n_ops && n_ops < 256) ops[n_ops++] = (op_count){op, 0};
        if (k < n_ops) ops[k].n++;
    }
    for (int k = 0; k < n_ops; k++)
        printf("  %6d %s%s\n", ops[k].n, ops[k].name, ox_find_op(ops[k].name) ? "" : "  UNSUPPORTED");
    onnx__model_proto__free_unpacked(m, NULL);
    ox_model *om = NULL;
    cv_status st = ox_model_load(path, &om);
    if (cv_is_ok(&st))
        printf("  interpreter: loads (%d nodes folded at load)\n", ox_model_n_folded(om));
    else
        printf("  interpreter: %s\n", st.message);
    ox_model_free(om);
    return cv_is_ok(&st) ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: cosyvoice-onnx-info FILE.onnx...\n");
        return 2;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        printf("usage: cosyvoice-onnx-info FILE.onnx...\n"
               "Shows what each ONNX file contains and whether the built-in interpreter can\n"
               "run it: opset, inputs and outputs, operator counts with unsupported ones\n"
               "marked, initializer types, external data. Exit status 0 if every file\n"
               "loads, 1 otherwise.\n");
        return 0;
    }
    int rc = 0;
    for (int i = 1; i < argc; i++) rc |= info(argv[i]);
    return rc;
}
