/* The operator registry: every family's table, searched by name. */
#include <pthread.h>
#include <string.h>

#include "onnx/onnx_internal.h"
#include "onnx/onnx_model.h"

static const ox_op *const FAMILIES[] = {ox_ops_elementwise, ox_ops_shape, ox_ops_reduce,
                                         ox_ops_nn, ox_ops_matmul};
#define N_FAMILIES (sizeof FAMILIES / sizeof FAMILIES[0])

const ox_op *ox_find_op(const char *name)
{
    for (size_t f = 0; f < N_FAMILIES; f++)
        for (const ox_op *op = FAMILIES[f]; op->name; op++)
            if (!strcmp(op->name, name)) return op;
    return NULL;
}

static const char *names[128];
static pthread_once_t names_once = PTHREAD_ONCE_INIT;

static void fill_names(void)
{
    size_t k = 0;
    for (size_t f = 0; f < N_FAMILIES; f++)
        for (const ox_op *op = FAMILIES[f]; op->name && k + 1 < 128; op++) names[k++] = op->name;
    names[k] = NULL;
}

const char *const *ox_supported_ops(void)
{
    pthread_once(&names_once, fill_names);
    return names;
}
