#include "nn/scratch.h"

#include <pthread.h>
#include <stdlib.h>

typedef struct scratch_set {
    float *buf[NN_SCRATCH_SLOTS];
    size_t cap[NN_SCRATCH_SLOTS];
} scratch_set;

static pthread_key_t key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void free_set(void *p)
{
    scratch_set *s = p;
    if (!s) return;
    for (int i = 0; i < NN_SCRATCH_SLOTS; i++) free(s->buf[i]);
    free(s);
}

static void make_key(void) { pthread_key_create(&key, free_set); }

float *nn_scratch(enum nn_scratch_slot slot, size_t n)
{
    pthread_once(&key_once, make_key);
    scratch_set *s = pthread_getspecific(key);
    if (!s) {
        s = calloc(1, sizeof *s);
        if (!s || pthread_setspecific(key, s) != 0) {
            free(s);
            return NULL;
        }
    }
    if (n == 0) n = 1;
    if (s->cap[slot] < n) {
        free(s->buf[slot]); /* contents need not survive: no realloc copy */
        s->buf[slot] = malloc(n * sizeof(float));
        s->cap[slot] = s->buf[slot] ? n : 0;
    }
    return s->buf[slot];
}

void nn_scratch_release(void)
{
    pthread_once(&key_once, make_key);
    scratch_set *s = pthread_getspecific(key);
    if (!s) return;
    pthread_setspecific(key, NULL);
    free_set(s);
}
