/* A pickle VM for exactly what torch.save puts in data.pkl.
 *
 * Only the protocol-2 opcodes torch emits (plus FRAME/MEMOIZE/
 * SHORT_BINUNICODE of later protocols) are understood, and only a fixed
 * list of globals can be named: OrderedDict, the two tensor rebuild
 * functions and the typed storage classes. Nothing is ever imported or
 * called; a REDUCE just builds a dict or records a tensor view. Every
 * object lives until the end of the run (a list of all allocations), so
 * memo sharing and cycles need no reference counting. All sizes are
 * bounded by the pickle's own length. */
#include "model/io/pt_internal.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Dicts nest a few levels in real checkpoints (spk2info: 2). */
#define MAX_NEST 32
#define MAX_NAME 1024
/* A real state dict needs ~30 objects per tensor; this allows ~60k tensors
 * and keeps a hostile pickle's VM memory near 200 MB. */
#define MAX_OBJECTS 2000000

typedef enum okind {
    O_NONE, O_BOOL, O_INT, O_FLOAT, O_STR, O_TUPLE, O_LIST, O_DICT, O_GLOBAL, O_STORAGE, O_TENSOR
} okind;

typedef enum gkind { G_ORDERED_DICT, G_REBUILD_TENSOR_V2, G_REBUILD_PARAMETER, G_STORAGE } gkind;

typedef struct pobj pobj;
struct pobj {
    okind kind;
    gkind g;                /* O_GLOBAL */
    pt_dtype dtype;         /* O_GLOBAL (G_STORAGE), O_STORAGE */
    pobj *next_alloc;
    int64_t i;              /* O_INT, O_BOOL; element count of an O_STORAGE */
    double f;               /* O_FLOAT */
    char *s;                /* O_STR; the key of an O_STORAGE (not owned) */
    size_t slen;
    pobj **items;           /* O_TUPLE, O_LIST; O_DICT as key,value pairs */
    size_t n, cap;
    pt_tensor_ref *view;    /* O_TENSOR (name NULL, storage_key not owned) */
};

typedef struct vm {
    const uint8_t *p;
    size_t len, pos;
    pobj *all;
    size_t nobjs;
    pobj **stack;
    size_t sp, scap;
    size_t *marks;
    size_t mp, mcap;
    pobj **memo;
    size_t memo_cap, memo_count;
    char err[CV_STATUS_MSG_MAX];
    bool failed;
} vm;

static bool fail(vm *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(vm *m, const char *fmt, ...)
{
    if (!m->failed) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(m->err, sizeof m->err, fmt, ap);
        va_end(ap);
        m->failed = true;
    }
    return false;
}

static pobj *new_obj(vm *m, okind k)
{
    if (m->nobjs >= MAX_OBJECTS) {
        fail(m, "pickle has more than %d objects at offset %zu", MAX_OBJECTS, m->pos);
        return NULL;
    }
    pobj *o = calloc(1, sizeof *o);
    if (!o) {
        fail(m, "out of memory");
        return NULL;
    }
    o->kind = k;
    o->next_alloc = m->all;
    m->all = o;
    m->nobjs++;
    if (k == O_TENSOR && !(o->view = calloc(1, sizeof *o->view))) {
        fail(m, "out of memory");
        return NULL;
    }
    return o;
}

static bool grow(vm *m, void **arr, size_t *cap, size_t need, size_t elsize)
{
    if (need <= *cap) return true;
    size_t nc = *cap ? *cap * 2 : 16;
    while (nc < need) nc *= 2;
    void *na = realloc(*arr, nc * elsize);
    if (!na) return fail(m, "out of memory");
    *arr = na;
    *cap = nc;
    return true;
}

static bool push(vm *m, pobj *o)
{
    if (!o) return false;
    if (m->sp >= MAX_OBJECTS) return fail(m, "pickle stack deeper than %d at offset %zu", MAX_OBJECTS, m->pos);
    if (!grow(m, (void **)&m->stack, &m->scap, m->sp + 1, sizeof *m->stack)) return false;
    m->stack[m->sp++] = o;
    return true;
}

/* The objects above the topmost MARK belong to it; the stack below the
 * mark cannot be touched by ordinary pops. */
static size_t floor_of_stack(const vm *m) { return m->mp ? m->marks[m->mp - 1] : 0; }

static pobj *pop(vm *m)
{
    if (m->sp <= floor_of_stack(m)) {
        fail(m, "pickle stack underflow at offset %zu", m->pos);
        return NULL;
    }
    return m->stack[--m->sp];
}

static pobj *top(vm *m)
{
    if (m->sp <= floor_of_stack(m)) {
        fail(m, "pickle stack underflow at offset %zu", m->pos);
        return NULL;
    }
    return m->stack[m->sp - 1];
}

/* Pops the topmost MARK; returns the stack index where its items start. */
static bool pop_mark(vm *m, size_t *start)
{
    if (!m->mp) return fail(m, "pickle MARK missing at offset %zu", m->pos);
    *start = m->marks[--m->mp];
    return true;
}

static bool add_item(vm *m, pobj *seq, pobj *item)
{
    if (!grow(m, (void **)&seq->items, &seq->cap, seq->n + 1, sizeof *seq->items)) return false;
    seq->items[seq->n++] = item;
    return true;
}

static bool need(vm *m, size_t n)
{
    if (m->len - m->pos < n) return fail(m, "pickle truncated at offset %zu", m->pos);
    return true;
}

static uint64_t le(const uint8_t *b, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = (v << 8) | b[i];
    return v;
}

static pobj *make_int(vm *m, int64_t v)
{
    pobj *o = new_obj(m, O_INT);
    if (o) o->i = v;
    return o;
}

static pobj *make_str(vm *m, const uint8_t *b, size_t n)
{
    if (memchr(b, 0, n)) {
        fail(m, "pickle string with a NUL byte at offset %zu", m->pos);
        return NULL;
    }
    pobj *o = new_obj(m, O_STR);
    if (!o) return NULL;
    o->s = malloc(n + 1);
    if (!o->s) {
        fail(m, "out of memory");
        return NULL;
    }
    memcpy(o->s, b, n);
    o->s[n] = '\0';
    o->slen = n;
    return o;
}

static pobj *make_tuple(vm *m, size_t start)
{
    pobj *t = new_obj(m, O_TUPLE);
    if (!t) return NULL;
    for (size_t k = start; k < m->sp; k++)
        if (!add_item(m, t, m->stack[k])) return NULL;
    m->sp = start;
    return t;
}

static const struct {
    const char *module, *name;
    gkind g;
    pt_dtype dtype;
} known_globals[] = {
    {"collections", "OrderedDict", G_ORDERED_DICT, PT_F32},
    {"torch._utils", "_rebuild_tensor_v2", G_REBUILD_TENSOR_V2, PT_F32},
    {"torch._utils", "_rebuild_parameter", G_REBUILD_PARAMETER, PT_F32},
    {"torch", "FloatStorage", G_STORAGE, PT_F32},
    {"torch", "HalfStorage", G_STORAGE, PT_F16},
    {"torch", "BFloat16Storage", G_STORAGE, PT_BF16},
    {"torch", "DoubleStorage", G_STORAGE, PT_F64},
    {"torch", "LongStorage", G_STORAGE, PT_I64},
    {"torch", "IntStorage", G_STORAGE, PT_I32},
};

/* GLOBAL: "module\nname\n". */
static bool op_global(vm *m)
{
    const uint8_t *b = m->p + m->pos;
    size_t rest = m->len - m->pos;
    const uint8_t *nl1 = memchr(b, '\n', rest);
    if (!nl1) return fail(m, "pickle GLOBAL truncated at offset %zu", m->pos);
    const uint8_t *nl2 = memchr(nl1 + 1, '\n', rest - (size_t)(nl1 + 1 - b));
    if (!nl2) return fail(m, "pickle GLOBAL truncated at offset %zu", m->pos);
    size_t ml = (size_t)(nl1 - b), nl = (size_t)(nl2 - nl1 - 1);
    for (size_t k = 0; k < sizeof known_globals / sizeof known_globals[0]; k++) {
        if (strlen(known_globals[k].module) == ml && memcmp(known_globals[k].module, b, ml) == 0 &&
            strlen(known_globals[k].name) == nl && memcmp(known_globals[k].name, nl1 + 1, nl) == 0) {
            pobj *o = new_obj(m, O_GLOBAL);
            if (!o) return false;
            o->g = known_globals[k].g;
            o->dtype = known_globals[k].dtype;
            m->pos += (size_t)(nl2 + 1 - b);
            return push(m, o);
        }
    }
    return fail(m, "unsupported pickle global '%.*s.%.*s' at offset %zu", (int)(ml > 80 ? 80 : ml),
                (const char *)b, (int)(nl > 80 ? 80 : nl), (const char *)(nl1 + 1), m->pos);
}

/* BINPERSID: ('storage', <storage class>, key, location, numel). */
static bool op_persid(vm *m)
{
    pobj *pid = pop(m);
    if (!pid) return false;
    if (pid->kind != O_TUPLE || pid->n != 5 || pid->items[0]->kind != O_STR ||
        strcmp(pid->items[0]->s, "storage") != 0)
        return fail(m, "unsupported persistent id at offset %zu (expected a storage record)", m->pos);
    pobj *cls = pid->items[1], *key = pid->items[2], *loc = pid->items[3], *num = pid->items[4];
    if (cls->kind != O_GLOBAL || cls->g != G_STORAGE)
        return fail(m, "persistent id at offset %zu does not name a storage class", m->pos);
    if (key->kind != O_STR || key->slen == 0 || key->slen > 64 || strchr(key->s, '/'))
        return fail(m, "bad storage key in persistent id at offset %zu", m->pos);
    if (loc->kind != O_STR) return fail(m, "bad storage location at offset %zu", m->pos);
    if (num->kind != O_INT || num->i < 0)
        return fail(m, "bad storage size in persistent id at offset %zu", m->pos);
    pobj *s = new_obj(m, O_STORAGE);
    if (!s) return false;
    s->dtype = cls->dtype;
    s->s = key->s; /* owned by the key object, which lives as long */
    s->i = num->i;
    return push(m, s);
}

static bool int_tuple(vm *m, const pobj *t, int64_t *out, int *n, const char *what)
{
    if (t->kind != O_TUPLE) return fail(m, "tensor %s is not a tuple at offset %zu", what, m->pos);
    if (t->n > PT_MAX_DIMS)
        return fail(m, "tensor has %zu dims (at most %d supported) at offset %zu", t->n, PT_MAX_DIMS, m->pos);
    for (size_t k = 0; k < t->n; k++) {
        if (t->items[k]->kind != O_INT || t->items[k]->i < 0)
            return fail(m, "tensor %s holds a bad value at offset %zu", what, m->pos);
        out[k] = t->items[k]->i;
    }
    *n = (int)t->n;
    return true;
}

static bool op_reduce(vm *m)
{
    pobj *args = pop(m);
    pobj *fn = args ? pop(m) : NULL;
    if (!fn) return false;
    if (fn->kind != O_GLOBAL || args->kind != O_TUPLE)
        return fail(m, "pickle REDUCE of something not callable at offset %zu", m->pos);
    switch (fn->g) {
    case G_ORDERED_DICT:
        if (args->n != 0) return fail(m, "OrderedDict called with arguments at offset %zu", m->pos);
        return push(m, new_obj(m, O_DICT));
    case G_REBUILD_TENSOR_V2: {
        /* (storage, offset, size, stride, requires_grad, backward_hooks[, metadata]) */
        if (args->n != 6 && args->n != 7)
            return fail(m, "_rebuild_tensor_v2 called with %zu arguments at offset %zu", args->n, m->pos);
        pobj *st = args->items[0], *off = args->items[1];
        if (st->kind != O_STORAGE) return fail(m, "tensor without a storage at offset %zu", m->pos);
        if (off->kind != O_INT || off->i < 0) return fail(m, "bad tensor offset at offset %zu", m->pos);
        pobj *t = new_obj(m, O_TENSOR);
        if (!t) return false;
        pt_tensor_ref *v = t->view;
        int nd = 0, ns = 0;
        if (!int_tuple(m, args->items[2], v->shape, &nd, "size") ||
            !int_tuple(m, args->items[3], v->stride, &ns, "stride"))
            return false;
        if (nd != ns) return fail(m, "tensor size and stride differ in length at offset %zu", m->pos);
        v->ndim = nd;
        v->dtype = st->dtype;
        v->storage_key = st->s;
        v->storage_numel = st->i;
        v->offset = off->i;
        return push(m, t);
    }
    case G_REBUILD_PARAMETER:
        /* (tensor, requires_grad, backward_hooks): the parameter is its data */
        if (args->n != 3 || args->items[0]->kind != O_TENSOR)
            return fail(m, "bad _rebuild_parameter arguments at offset %zu", m->pos);
        return push(m, args->items[0]);
    case G_STORAGE:
        break;
    }
    return fail(m, "pickle REDUCE of a storage class at offset %zu", m->pos);
}

static bool memo_put(vm *m, size_t idx)
{
    pobj *o = top(m);
    if (!o) return false;
    /* torch numbers memo slots 0,1,2,...; an index past the pickle's
     * length cannot be legitimate and would only waste memory. */
    if (idx >= m->len || idx >= MAX_OBJECTS)
        return fail(m, "pickle memo index %zu out of range at offset %zu", idx, m->pos);
    if (idx >= m->memo_cap) {
        size_t old = m->memo_cap;
        if (!grow(m, (void **)&m->memo, &m->memo_cap, idx + 1, sizeof *m->memo)) return false;
        memset(m->memo + old, 0, (m->memo_cap - old) * sizeof *m->memo);
    }
    if (!m->memo[idx]) m->memo_count++;
    m->memo[idx] = o;
    return true;
}

static bool memo_get(vm *m, size_t idx)
{
    if (idx >= m->memo_cap || !m->memo[idx])
        return fail(m, "pickle memo index %zu unset at offset %zu", idx, m->pos);
    return push(m, m->memo[idx]);
}

/* Runs the VM; returns the object STOP left. */
static pobj *run(vm *m)
{
    while (!m->failed) {
        if (!need(m, 1)) return NULL;
        size_t at = m->pos;
        uint8_t op = m->p[m->pos++];
        const uint8_t *a = m->p + m->pos;
        size_t k = 0;
        pobj *o, *v, *key, *d;
        switch (op) {
        case 0x80: /* PROTO */
            if (!need(m, 1)) return NULL;
            if (a[0] > 5) fail(m, "unsupported pickle protocol %u", a[0]);
            m->pos += 1;
            break;
        case 0x95: /* FRAME: an 8-byte length; frames need no special handling here */
            if (!need(m, 8)) return NULL;
            if (le(a, 8) > m->len - m->pos - 8) fail(m, "pickle FRAME longer than the data at offset %zu", at);
            m->pos += 8;
            break;
        case 'c': op_global(m); break;
        case 'Q': op_persid(m); break;
        case '}': push(m, new_obj(m, O_DICT)); break;
        case ']': push(m, new_obj(m, O_LIST)); break;
        case ')': push(m, new_obj(m, O_TUPLE)); break;
        case '(':
            if (m->mp >= MAX_OBJECTS) {
                fail(m, "pickle has more than %d open MARKs", MAX_OBJECTS);
                break;
            }
            if (grow(m, (void **)&m->marks, &m->mcap, m->mp + 1, sizeof *m->marks)) m->marks[m->mp++] = m->sp;
            break;
        case 't':
            if (pop_mark(m, &k)) push(m, make_tuple(m, k));
            break;
        case 0x85: case 0x86: case 0x87: /* TUPLE1..3 */
            k = (size_t)(op - 0x84);
            if (m->sp < floor_of_stack(m) + k) {
                fail(m, "pickle stack underflow at offset %zu", at);
                break;
            }
            push(m, make_tuple(m, m->sp - k));
            break;
        case 'N': push(m, new_obj(m, O_NONE)); break;
        case 0x88: case 0x89: /* NEWTRUE, NEWFALSE */
            o = new_obj(m, O_BOOL);
            if (o) o->i = op == 0x88;
            push(m, o);
            break;
        case 'J':
            if (!need(m, 4)) return NULL;
            push(m, make_int(m, (int32_t)(uint32_t)le(a, 4)));
            m->pos += 4;
            break;
        case 'K':
            if (!need(m, 1)) return NULL;
            push(m, make_int(m, a[0]));
            m->pos += 1;
            break;
        case 'M':
            if (!need(m, 2)) return NULL;
            push(m, make_int(m, (int64_t)le(a, 2)));
            m->pos += 2;
            break;
        case 0x8a: { /* LONG1: n-byte two's complement */
            if (!need(m, 1)) return NULL;
            size_t n = a[0];
            if (n > 8) {
                fail(m, "pickle integer of %zu bytes too large at offset %zu", n, at);
                break;
            }
            if (!need(m, 1 + n)) return NULL;
            uint64_t u = le(a + 1, (int)n);
            if (n > 0 && n < 8 && (a[n] & 0x80)) u |= ~(uint64_t)0 << (8 * n);
            push(m, make_int(m, (int64_t)u));
            m->pos += 1 + n;
            break;
        }
        case 'G': { /* BINFLOAT: big-endian double */
            if (!need(m, 8)) return NULL;
            uint64_t u = 0;
            for (int b = 0; b < 8; b++) u = (u << 8) | a[b];
            o = new_obj(m, O_FLOAT);
            if (o) memcpy(&o->f, &u, sizeof o->f);
            push(m, o);
            m->pos += 8;
            break;
        }
        case 'X': case 0x8c: { /* BINUNICODE, SHORT_BINUNICODE */
            size_t hl = op == 'X' ? 4 : 1;
            if (!need(m, hl)) return NULL;
            size_t n = (size_t)le(a, (int)hl);
            m->pos += hl;
            if (!need(m, n)) return NULL;
            push(m, make_str(m, a + hl, n));
            m->pos += n;
            break;
        }
        case 'q':
            if (!need(m, 1)) return NULL;
            m->pos += 1;
            memo_put(m, a[0]);
            break;
        case 'r':
            if (!need(m, 4)) return NULL;
            m->pos += 4;
            memo_put(m, (size_t)le(a, 4));
            break;
        case 0x94: /* MEMOIZE */
            memo_put(m, m->memo_count);
            break;
        case 'h':
            if (!need(m, 1)) return NULL;
            m->pos += 1;
            memo_get(m, a[0]);
            break;
        case 'j':
            if (!need(m, 4)) return NULL;
            m->pos += 4;
            memo_get(m, (size_t)le(a, 4));
            break;
        case 's': /* SETITEM */
            v = pop(m);
            key = v ? pop(m) : NULL;
            d = key ? top(m) : NULL;
            if (!d) break;
            if (d->kind != O_DICT) {
                fail(m, "pickle SETITEM on a non-dict at offset %zu", at);
                break;
            }
            if (add_item(m, d, key)) add_item(m, d, v);
            break;
        case 'u': /* SETITEMS */
            if (!pop_mark(m, &k)) break;
            if (k == 0 || k <= floor_of_stack(m) || ((m->sp - k) & 1)) {
                fail(m, "bad pickle SETITEMS at offset %zu", at);
                break;
            }
            d = m->stack[k - 1];
            if (d->kind != O_DICT) {
                fail(m, "pickle SETITEMS on a non-dict at offset %zu", at);
                break;
            }
            for (size_t j = k; j < m->sp && !m->failed; j++) add_item(m, d, m->stack[j]);
            m->sp = k;
            break;
        case 'a': /* APPEND */
            v = pop(m);
            d = v ? top(m) : NULL;
            if (!d) break;
            if (d->kind != O_LIST) {
                fail(m, "pickle APPEND on a non-list at offset %zu", at);
                break;
            }
            add_item(m, d, v);
            break;
        case 'e': /* APPENDS */
            if (!pop_mark(m, &k)) break;
            if (k == 0 || k <= floor_of_stack(m) || m->stack[k - 1]->kind != O_LIST) {
                fail(m, "bad pickle APPENDS at offset %zu", at);
                break;
            }
            d = m->stack[k - 1];
            for (size_t j = k; j < m->sp && !m->failed; j++) add_item(m, d, m->stack[j]);
            m->sp = k;
            break;
        case 'R': op_reduce(m); break;
        case 'b': /* BUILD: the state only sets attributes (OrderedDict._metadata) */
            v = pop(m);
            d = v ? top(m) : NULL;
            if (d && d->kind != O_DICT && d->kind != O_TENSOR)
                fail(m, "pickle BUILD on an unsupported object at offset %zu", at);
            break;
        case '.': /* STOP */
            o = pop(m);
            if (o && o->kind != O_DICT) {
                fail(m, "pickle result is not a dict");
                return NULL;
            }
            return o;
        default:
            fail(m, "unsupported pickle opcode 0x%02x at offset %zu", op, at);
            break;
        }
    }
    return NULL;
}

/* ---- flattening the result into named tensor refs ---- */

typedef struct flat {
    vm *m;
    pt_tensor_refs *out;
    size_t cap;
    size_t budget;      /* how many more nodes may be visited */
    size_t key0;        /* length of the top-level key being walked */
} flat;

static bool emit(flat *f, const char *name, const pobj *t)
{
    vm *m = f->m;
    if (!grow(m, (void **)&f->out->items, &f->cap, f->out->count + 1, sizeof *f->out->items)) return false;
    pt_tensor_ref *r = &f->out->items[f->out->count];
    *r = *t->view;
    size_t nl = strlen(name), kl = strlen(t->view->storage_key);
    r->key0_len = f->key0 < nl ? f->key0 : nl;
    r->name = malloc(nl + 1);
    r->storage_key = malloc(kl + 1);
    f->out->count++;
    if (!r->name || !r->storage_key) return fail(m, "out of memory");
    memcpy(r->name, name, nl + 1);
    memcpy(r->storage_key, t->view->storage_key, kl + 1);
    return true;
}

static bool walk(flat *f, const pobj *o, char *name, size_t nlen, int depth);

static bool walk_child(flat *f, const pobj *v, const char *key, char *name, size_t nlen, int depth)
{
    if (v->kind != O_TENSOR && v->kind != O_DICT && v->kind != O_LIST && v->kind != O_TUPLE)
        return true; /* plain values (ints, strings, None) carry no tensors */
    size_t kl = strlen(key);
    size_t nl2 = nlen + (nlen ? 1 : 0) + kl;
    if (nl2 >= MAX_NAME) return fail(f->m, "pickle key path longer than %d bytes", MAX_NAME);
    if (nlen) name[nlen] = '.';
    memcpy(name + nlen + (nlen ? 1 : 0), key, kl + 1);
    if (depth == 0) f->key0 = kl;
    bool ok = walk(f, v, name, nl2, depth + 1);
    name[nlen] = '\0';
    return ok;
}

static bool walk(flat *f, const pobj *o, char *name, size_t nlen, int depth)
{
    if (depth > MAX_NEST) return fail(f->m, "pickle nests deeper than %d levels", MAX_NEST);
    if (f->budget == 0) return fail(f->m, "pickle expands to too many objects");
    f->budget--;
    char num[24];
    switch (o->kind) {
    case O_TENSOR:
        return emit(f, name, o);
    case O_DICT:
        for (size_t k = 0; k + 1 < o->n; k += 2) {
            const pobj *key = o->items[k];
            const char *ks;
            if (key->kind == O_STR) {
                ks = key->s;
            } else if (key->kind == O_INT) {
                snprintf(num, sizeof num, "%lld", (long long)key->i);
                ks = num;
            } else {
                return fail(f->m, "pickle dict key is not a string");
            }
            if (!walk_child(f, o->items[k + 1], ks, name, nlen, depth)) return false;
        }
        return true;
    case O_LIST:
    case O_TUPLE:
        for (size_t k = 0; k < o->n; k++) {
            snprintf(num, sizeof num, "%zu", k);
            if (!walk_child(f, o->items[k], num, name, nlen, depth)) return false;
        }
        return true;
    default:
        return true;
    }
}

static int cmp_name(const void *a, const void *b)
{
    const pt_tensor_ref *const *x = a, *const *y = b;
    return strcmp((*x)->name, (*y)->name);
}

static bool check_unique(vm *m, const pt_tensor_refs *r)
{
    if (r->count < 2) return true;
    const pt_tensor_ref **v = malloc(r->count * sizeof *v);
    if (!v) return fail(m, "out of memory");
    for (size_t k = 0; k < r->count; k++) v[k] = &r->items[k];
    qsort(v, r->count, sizeof *v, cmp_name);
    bool ok = true;
    for (size_t k = 1; k < r->count && ok; k++)
        if (strcmp(v[k - 1]->name, v[k]->name) == 0) ok = fail(m, "duplicate tensor name '%.200s'", v[k]->name);
    free(v);
    return ok;
}

void pt_tensor_refs_free(pt_tensor_refs *r)
{
    if (!r) return;
    for (size_t k = 0; k < r->count; k++) {
        free(r->items[k].name);
        free(r->items[k].storage_key);
    }
    free(r->items);
    r->items = NULL;
    r->count = 0;
}

cv_status pt_pickle_parse(const uint8_t *pkl, size_t len, const char *name, pt_tensor_refs *out)
{
    out->items = NULL;
    out->count = 0;
    vm m = {.p = pkl, .len = len};
    pobj *root = run(&m);
    if (root) {
        char path[MAX_NAME];
        path[0] = '\0';
        /* Each tensor costs at least one opcode; a shared sub-dict can
         * multiply that, so cap the expansion by the pickle's size. */
        flat f = {.m = &m, .out = out, .budget = len};
        if (walk(&f, root, path, 0, 0)) check_unique(&m, out);
    }
    for (pobj *o = m.all, *next; o; o = next) {
        next = o->next_alloc;
        if (o->kind == O_STR) free(o->s);
        free(o->items);
        free(o->view);
        free(o);
    }
    free(m.stack);
    free(m.marks);
    free(m.memo);
    if (m.failed) {
        pt_tensor_refs_free(out);
        return cv_error(CV_INVALID_ARGUMENT, "%s: %s", name, m.err);
    }
    return cv_ok();
}
