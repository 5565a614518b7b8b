#include "server/admission.h"

#include <stdlib.h>

static void *worker_main(void *arg)
{
    admission *a = arg;
    pthread_mutex_lock(&a->mu);
    for (;;) {
        while (!a->head && !a->stopping)
            pthread_cond_wait(&a->cv, &a->mu);
        if (!a->head && a->stopping)
            break;
        admission_item *it = a->head;
        a->head = it->next;
        if (!a->head)
            a->tail = NULL;
        it->queued = false;
        a->queued--;
        a->running++;
        pthread_mutex_unlock(&a->mu);
        (it->run ? it->run : a->run)(it, a->ctx);
        pthread_mutex_lock(&a->mu);
        a->running--;
    }
    pthread_mutex_unlock(&a->mu);
    return NULL;
}

int admission_init(admission *a, int max_conc, int max_queue, admission_run_fn run, void *ctx)
{
    *a = (admission){.max_conc = max_conc, .max_queue = max_queue, .run = run, .ctx = ctx};
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->cv, NULL);
    a->workers = calloc((size_t)max_conc, sizeof *a->workers);
    if (!a->workers)
        return -1;
    for (int i = 0; i < max_conc; i++)
        if (pthread_create(&a->workers[i], NULL, worker_main, a))
            return -1;
    return 0;
}

bool admission_submit(admission *a, admission_item *it)
{
    pthread_mutex_lock(&a->mu);
    /* Idle workers take queued items at once, so the limit is on the
     * total of running and waiting calls. */
    if (a->stopping || a->running + a->queued + 1 > a->max_conc + a->max_queue) {
        pthread_mutex_unlock(&a->mu);
        return false;
    }
    it->next = NULL;
    it->queued = true;
    if (a->tail)
        a->tail->next = it;
    else
        a->head = it;
    a->tail = it;
    a->queued++;
    pthread_cond_signal(&a->cv);
    pthread_mutex_unlock(&a->mu);
    return true;
}

bool admission_withdraw(admission *a, admission_item *it)
{
    bool removed = false;
    pthread_mutex_lock(&a->mu);
    if (it->queued) {
        admission_item **pp = &a->head, *prev = NULL;
        while (*pp && *pp != it) {
            prev = *pp;
            pp = &(*pp)->next;
        }
        if (*pp) {
            *pp = it->next;
            if (a->tail == it)
                a->tail = prev;
            it->queued = false;
            a->queued--;
            removed = true;
        }
    }
    pthread_mutex_unlock(&a->mu);
    return removed;
}

void admission_counts(admission *a, int *running, int *queued)
{
    pthread_mutex_lock(&a->mu);
    *running = a->running;
    *queued = a->queued;
    pthread_mutex_unlock(&a->mu);
}

void admission_shutdown(admission *a)
{
    pthread_mutex_lock(&a->mu);
    a->stopping = true;
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
    for (int i = 0; i < a->max_conc; i++)
        pthread_join(a->workers[i], NULL);
    free(a->workers);
    a->workers = NULL;
    pthread_mutex_destroy(&a->mu);
    pthread_cond_destroy(&a->cv);
}
