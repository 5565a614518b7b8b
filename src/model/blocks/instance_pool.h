/* A set of instances of a model part that keeps scratch state (the flow's
 * U-Net estimator, so a flow runs one inference at a time), shared by
 * concurrent calls: instances are made on demand the first time every
 * existing one is busy and kept for reuse, so their number is the peak
 * number of calls using them at once, which the server's limit on
 * concurrent calls bounds. The read-only weights behind them are shared
 * (the constructor borrows them). */
#ifndef CV_MODEL_INSTANCE_POOL_H
#define CV_MODEL_INSTANCE_POOL_H

#include "common/status.h"

typedef struct instance_pool instance_pool;

/* make(ctx, &inst) builds one instance, destroy frees one. ctx must
 * outlive the pool. One instance is built now, so configuration errors
 * surface at load time. */
cv_status instance_pool_new(cv_status (*make)(void *ctx, void **out),
                            void (*destroy)(void *inst), void *ctx, instance_pool **out);
/* Frees the pool, its idle instances and ctx with free_ctx (may be NULL). */
void instance_pool_free(instance_pool *p, void (*free_ctx)(void *ctx));
void *instance_pool_ctx(const instance_pool *p);

/* An idle instance (built if none is idle); NULL on error (*st says why).
 * Give it back with instance_pool_release. */
void *instance_pool_acquire(instance_pool *p, cv_status *st);
void instance_pool_release(instance_pool *p, void *inst);
/* Instances built so far. */
int instance_pool_size(instance_pool *p);

#endif
