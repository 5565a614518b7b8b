/* Admission control: at most max_conc calls synthesize at once, up to
 * max_queue more wait in FIFO order, and anything beyond is refused at once.
 * A fixed pool of max_conc worker threads takes calls off the queue, so the
 * number of synthesizing calls can never exceed the limit. */
#ifndef CV_ADMISSION_H
#define CV_ADMISSION_H

#include <pthread.h>
#include <stdbool.h>

typedef struct admission_item admission_item;
typedef void (*admission_run_fn)(admission_item *item, void *ctx);

struct admission_item {
    struct admission_item *next;
    bool queued;
    /* Runs this item instead of the admission's default `run` (calls from
     * another door share the slots and the queue); NULL for the default. */
    admission_run_fn run;
};

typedef struct admission {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    admission_item *head, *tail;
    int queued, running, max_conc, max_queue;
    bool stopping;
    pthread_t *workers;
    admission_run_fn run;
    void *ctx;
} admission;

int admission_init(admission *a, int max_conc, int max_queue, admission_run_fn run, void *ctx);
/* Queues an item; false if the queue is full (refuse the call). */
bool admission_submit(admission *a, admission_item *it);
/* Removes an item still waiting (e.g. cancelled); true if it was removed,
 * false if a worker already took it. */
bool admission_withdraw(admission *a, admission_item *it);
void admission_counts(admission *a, int *running, int *queued);
/* Stops the workers after they finish their current item; items still
 * queued are handed to `run` anyway (they see their cancellation). */
void admission_shutdown(admission *a);

#endif
