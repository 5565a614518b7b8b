/* Unit tests for the .pt checkpoint loader: archives built here byte by
 * byte (pt_builder.h) for every format feature and malformation, and the
 * golden tiny CosyVoice checkpoints.
 * With CV_PT_CORPUS_DIR set, every generated archive is also written there
 * (that is how tests/fuzz/corpus/pt_load/ was seeded). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <unistd.h>
#include <cmocka.h>

#include "model/io/pt_load.h"
#include "pt_builder.h"

static void save_corpus(const char *name, const bytes *b)
{
    const char *dir = getenv("CV_PT_CORPUS_DIR");
    if (!dir) return;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.pt", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) return;
    fwrite(b->p, 1, b->n, f);
    fclose(f);
}

/* Loads from memory and, for good measure, from a temporary file too:
 * both must agree on success or failure. */
static cv_status load(const char *name, const bytes *b, pt_dict *d)
{
    save_corpus(name, b);
    cv_status s = pt_load_memory(b->p, b->n, name, d);
    char path[] = "/tmp/cv_pt_test_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, b->p, b->n), (ssize_t)b->n);
    close(fd);
    pt_dict d2;
    cv_status s2 = pt_load(path, &d2);
    unlink(path);
    assert_int_equal(s.code, s2.code);
    if (cv_is_ok(&s2)) {
        assert_int_equal(d->count, d2.count);
        for (size_t k = 0; k < d->count; k++) {
            int64_t n = pt_numel(&d->items[k]);
            assert_memory_equal(d->items[k].data, d2.items[k].data, (size_t)n * sizeof(float));
        }
    }
    pt_free(&d2);
    return s;
}

static const int64_t SH23[] = {2, 3}, ST23[] = {3, 1};

/* {'w': f32 [2,3]} under folder `folder` */
static bytes simple_archive(const char *folder, const float *vals)
{
    bytes pk = {0};
    pk_proto(&pk);
    pk_ordered_dict(&pk);
    pk_str(&pk, "w");
    pk_plain(&pk, "0", 2, SH23);
    b_op(&pk, 's');
    b_op(&pk, '.');
    char n1[64], n2[64];
    snprintf(n1, sizeof n1, "%s/data.pkl", folder);
    snprintf(n2, sizeof n2, "%s/data/0", folder);
    archive a = {0};
    ar_add(&a, n1, pk.p, pk.n);
    ar_add_floats(&a, n2, vals, 6);
    b_free(&pk);
    return ar_build(&a);
}

static const float V6[] = {1, 2, 3, 4, 5, 6};

static void test_f32_basic(void **state)
{
    (void)state;
    bytes z = simple_archive("model", V6);
    pt_dict d;
    cv_status s = load("f32_basic", &z, &d);
    assert_int_equal(s.code, CV_OK);
    assert_int_equal(d.count, 1);
    const pt_tensor *t = pt_find(&d, "w");
    assert_non_null(t);
    assert_null(pt_find(&d, "x"));
    assert_int_equal(t->ndim, 2);
    assert_int_equal(t->shape[0], 2);
    assert_int_equal(t->shape[1], 3);
    assert_null(t->idata);
    for (int k = 0; k < 6; k++) assert_true(t->data[k] == V6[k]);
    pt_free(&d);
    assert_int_equal(d.count, 0);
    b_free(&z);
}

/* Newer torch: "archive/" folder plus byteorder and version records. */
static void test_archive_folder_and_byteorder(void **state)
{
    (void)state;
    bytes pk = {0};
    pk_proto(&pk);
    pk_ordered_dict(&pk);
    pk_str(&pk, "w");
    pk_plain(&pk, "0", 2, SH23);
    b_op(&pk, 's');
    b_op(&pk, '.');
    for (int big = 0; big < 2; big++) {
        archive a = {0};
        ar_add(&a, "archive/data.pkl", pk.p, pk.n);
        ar_add(&a, "archive/byteorder", big ? "big" : "little", big ? 3 : 6);
        ar_add_floats(&a, "archive/data/0", V6, 6);
        ar_add(&a, "archive/version", "3\n", 2);
        ar_add(&a, "archive/.data/serialization_id", "123", 3);
        bytes z = ar_build(&a);
        pt_dict d;
        cv_status s = load(big ? "byteorder_big" : "archive_folder", &z, &d);
        if (big) {
            assert_int_equal(s.code, CV_UNIMPLEMENTED);
            assert_non_null(strstr(s.message, "little-endian"));
        } else {
            assert_int_equal(s.code, CV_OK);
            assert_true(pt_find(&d, "w")->data[5] == 6.0f);
        }
        pt_free(&d);
        b_free(&z);
    }
    b_free(&pk);
}

static void test_half_bfloat_int(void **state)
{
    (void)state;
    /* f16: 1.0, -2.5, 65504 (max), 2^-24 (smallest subnormal), +inf, 0.5*2^-14 (subnormal) */
    const uint16_t h[] = {0x3c00, 0xc100, 0x7bff, 0x0001, 0x7c00, 0x0200};
    const float hf[] = {1.0f, -2.5f, 65504.0f, 5.9604644775390625e-08f, INFINITY, 3.0517578125e-05f};
    /* bf16: the top halves of 1.0f, -3.0f, 0.15625f */
    const uint16_t bf[] = {0x3f80, 0xc040, 0x3e20};
    const float bff[] = {1.0f, -3.0f, 0.15625f};
    const int64_t l[] = {-5, 0, (int64_t)1 << 40};
    const int32_t i32[] = {-7, 123456};
    bytes pk = {0};
    pk_proto(&pk);
    b_op(&pk, '}'); /* a plain dict works as well as an OrderedDict */
    b_op(&pk, '(');
    const int64_t s6[] = {6}, s3[] = {3}, s2[] = {2}, one[] = {1};
    pk_str(&pk, "half");
    pk_tensor(&pk, "HalfStorage", "0", 6, 0, 1, s6, one);
    pk_str(&pk, "bf");
    pk_tensor(&pk, "BFloat16Storage", "1", 3, 0, 1, s3, one);
    pk_str(&pk, "long");
    pk_tensor(&pk, "LongStorage", "2", 3, 0, 1, s3, one);
    pk_str(&pk, "int");
    pk_tensor(&pk, "IntStorage", "3", 2, 0, 1, s2, one);
    pk_str(&pk, "scalar"); /* 0-dim, like num_batches_tracked */
    pk_tensor(&pk, "LongStorage", "4", 1, 0, 0, NULL, NULL);
    b_op(&pk, 'u');
    b_op(&pk, '.');
    archive a = {0};
    ar_add(&a, "x/data.pkl", pk.p, pk.n);
    ar_add(&a, "x/data/0", h, sizeof h);
    ar_add(&a, "x/data/1", bf, sizeof bf);
    ar_add(&a, "x/data/2", l, sizeof l);
    ar_add(&a, "x/data/3", i32, sizeof i32);
    const int64_t nbt = 42;
    ar_add(&a, "x/data/4", &nbt, sizeof nbt);
    bytes z = ar_build(&a);
    pt_dict d;
    cv_status s = load("dtypes", &z, &d);
    assert_int_equal(s.code, CV_OK);
    assert_int_equal(d.count, 5);
    const pt_tensor *t = pt_find(&d, "half");
    for (int k = 0; k < 6; k++) assert_true(t->data[k] == hf[k]);
    assert_null(t->idata);
    t = pt_find(&d, "bf");
    for (int k = 0; k < 3; k++) assert_true(t->data[k] == bff[k]);
    t = pt_find(&d, "long");
    assert_non_null(t->idata);
    for (int k = 0; k < 3; k++) {
        assert_true(t->idata[k] == l[k]);
        assert_true(t->data[k] == (float)l[k]);
    }
    t = pt_find(&d, "int");
    assert_true(t->idata[0] == -7 && t->idata[1] == 123456);
    t = pt_find(&d, "scalar");
    assert_int_equal(t->ndim, 0);
    assert_int_equal(pt_numel(t), 1);
    assert_true(t->idata[0] == 42);
    pt_free(&d);
    b_free(&z);
    b_free(&pk);
}

/* A transposed view, an offset view and an empty tensor sharing one storage. */
static void test_strides_and_shared_storage(void **state)
{
    (void)state;
    const float st[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    bytes pk = {0};
    pk_proto(&pk);
    pk_ordered_dict(&pk);
    b_op(&pk, '(');
    /* storage viewed as A[3,4] (C order); "t" = A.T: shape [4,3], strides (1,4) */
    const int64_t tsh[] = {4, 3}, tst[] = {1, 4};
    pk_str(&pk, "t");
    pk_tensor(&pk, "FloatStorage", "0", 12, 0, 2, tsh, tst);
    /* "col" = A[1:, 2]: shape [2], stride 4, offset 6 */
    const int64_t csh[] = {2}, cst[] = {4};
    pk_str(&pk, "col");
    pk_tensor(&pk, "FloatStorage", "0", 12, 6, 1, csh, cst);
    /* "empty": shape [0, 5] */
    const int64_t esh[] = {0, 5}, est[] = {5, 1};
    pk_str(&pk, "empty");
    pk_tensor(&pk, "FloatStorage", "0", 12, 0, 2, esh, est);
    /* "bcast": a stride-0 expand of one element, 3 wide */
    const int64_t bsh[] = {3}, bst[] = {0};
    pk_str(&pk, "bcast");
    pk_tensor(&pk, "FloatStorage", "0", 12, 11, 1, bsh, bst);
    b_op(&pk, 'u');
    b_op(&pk, '.');
    archive a = {0};
    ar_add(&a, "m/data.pkl", pk.p, pk.n);
    ar_add_floats(&a, "m/data/0", st, 12);
    bytes z = ar_build(&a);
    pt_dict d;
    cv_status s = load("strides", &z, &d);
    assert_int_equal(s.code, CV_OK);
    const pt_tensor *t = pt_find(&d, "t");
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 3; c++) assert_true(t->data[r * 3 + c] == st[c * 4 + r]);
    t = pt_find(&d, "col");
    assert_true(t->data[0] == 6 && t->data[1] == 10);
    t = pt_find(&d, "empty");
    assert_int_equal(pt_numel(t), 0);
    assert_non_null(t->data);
    t = pt_find(&d, "bcast");
    assert_true(t->data[0] == 11 && t->data[1] == 11 && t->data[2] == 11);
    /* order is the pickle's */
    assert_string_equal(d.items[0].name, "t");
    assert_string_equal(d.items[3].name, "bcast");
    pt_free(&d);
    b_free(&z);
    b_free(&pk);
}

/* spk2info layout: {name: {'embedding': T, 'text': 'x', 'n': 3}}, parameters, memo reuse. */
static void test_nested_dicts(void **state)
{
    (void)state;
    const float e[] = {0.5f, -0.5f, 0.25f, 1, 2, 3};
    bytes pk = {0};
    pk_proto(&pk);
    b_op(&pk, '}');
    b_op(&pk, 'q');
    b_op(&pk, 0);
    b_op(&pk, '(');
    pk_str(&pk, "中文女");
    b_op(&pk, '}');
    b_op(&pk, '(');
    pk_str(&pk, "embedding");
    const int64_t sh[] = {1, 3}, st[] = {3, 1};
    pk_tensor(&pk, "FloatStorage", "0", 3, 0, 2, sh, st);
    pk_str(&pk, "text");
    pk_str(&pk, "hello");
    pk_str(&pk, "n");
    pk_int(&pk, 3);
    b_op(&pk, 'u');
    pk_str(&pk, "second");
    b_op(&pk, '}');
    pk_str(&pk, "embedding");
    /* torch.nn.Parameter: _rebuild_parameter(tensor, True, OrderedDict()) */
    pk_global(&pk, "torch._utils", "_rebuild_parameter");
    b_op(&pk, 'q');
    b_op(&pk, 1);
    b_op(&pk, '(');
    pk_tensor(&pk, "FloatStorage", "1", 3, 0, 2, sh, st);
    b_op(&pk, 0x88);
    pk_ordered_dict(&pk);
    b_op(&pk, 't');
    b_op(&pk, 'R');
    b_op(&pk, 's');
    pk_str(&pk, "list"); /* a list of tensors: keys "list.0", "list.1" */
    b_op(&pk, ']');
    b_op(&pk, '(');
    pk_tensor(&pk, "FloatStorage", "0", 3, 0, 2, sh, st);
    pk_tensor(&pk, "FloatStorage", "1", 3, 0, 2, sh, st);
    b_op(&pk, 'e');
    b_op(&pk, 'u');
    /* BUILD with a state dict, as OrderedDict._metadata is saved */
    b_op(&pk, '}');
    pk_str(&pk, "_metadata");
    pk_ordered_dict(&pk);
    b_op(&pk, 's');
    b_op(&pk, 'b');
    b_op(&pk, '.');
    archive a = {0};
    ar_add(&a, "spk2info/data.pkl", pk.p, pk.n);
    ar_add_floats(&a, "spk2info/data/0", e, 3);
    ar_add_floats(&a, "spk2info/data/1", e + 3, 3);
    bytes z = ar_build(&a);
    pt_dict d;
    cv_status s = load("nested", &z, &d);
    assert_int_equal(s.code, CV_OK);
    assert_int_equal(d.count, 4);
    const pt_tensor *t = pt_find(&d, "中文女.embedding");
    assert_non_null(t);
    assert_int_equal(t->shape[1], 3);
    assert_true(t->data[1] == -0.5f);
    t = pt_find(&d, "second.embedding");
    assert_non_null(t);
    assert_true(t->data[2] == 3.0f);
    assert_non_null(pt_find(&d, "list.0")); /* the list sits in the top dict */
    assert_true(pt_find(&d, "list.1")->data[0] == 1.0f);
    pt_free(&d);
    b_free(&z);
    b_free(&pk);
}

static void put_tensor3(bytes *pk, const char *name, const char *key, int64_t a, int64_t b, int64_t c)
{
    const int64_t sh[] = {a, b, c}, st[] = {b * c, c, 1};
    pk_str(pk, name);
    pk_tensor(pk, "FloatStorage", key, a * b * c, 0, 3, sh, st);
}

static void test_weight_norm(void **state)
{
    (void)state;
    const float g[] = {2, 3};
    const float v[] = {3, 4, 0, 5};            /* [2,2,1]: rows norms 5 and 5 */
    const float g1[] = {10, 1};                /* g [1,2,1] keeps dim 1 */
    const float v1[] = {3, 0, 4, 2};           /* [2,2,1]: columns (3,4) and (0,2) */
    bytes pk = {0};
    pk_proto(&pk);
    pk_ordered_dict(&pk);
    b_op(&pk, '(');
    put_tensor3(&pk, "a.bias", "0", 1, 1, 1);
    put_tensor3(&pk, "a.weight_g", "1", 2, 1, 1);
    put_tensor3(&pk, "a.weight_v", "2", 2, 2, 1);
    put_tensor3(&pk, "b.parametrizations.weight.original1", "2", 2, 2, 1); /* v before g */
    put_tensor3(&pk, "b.parametrizations.weight.original0", "1", 2, 1, 1);
    put_tensor3(&pk, "c.weight_g", "3", 1, 2, 1);
    put_tensor3(&pk, "c.weight_v", "4", 2, 2, 1);
    put_tensor3(&pk, "d.weight", "0", 1, 1, 1);
    b_op(&pk, 'u');
    b_op(&pk, '.');
    archive ar = {0};
    ar_add(&ar, "wn/data.pkl", pk.p, pk.n);
    ar_add_floats(&ar, "wn/data/0", g, 1);
    ar_add_floats(&ar, "wn/data/1", g, 2);
    ar_add_floats(&ar, "wn/data/2", v, 4);
    ar_add_floats(&ar, "wn/data/3", g1, 2);
    ar_add_floats(&ar, "wn/data/4", v1, 4);
    bytes z = ar_build(&ar);
    pt_dict d;
    cv_status s = load("weight_norm", &z, &d);
    assert_int_equal(s.code, CV_OK);
    assert_int_equal(d.count, 8);
    s = pt_fold_weight_norm(&d);
    assert_int_equal(s.code, CV_OK);
    assert_int_equal(d.count, 5);
    const char *order[] = {"a.bias", "a.weight", "b.weight", "c.weight", "d.weight"};
    for (int k = 0; k < 5; k++) assert_string_equal(d.items[k].name, order[k]);
    const float want[] = {1.2f, 1.6f, 0.0f, 3.0f};
    for (const char *n = "a.weight"; n; n = n[0] == 'a' ? "b.weight" : NULL) {
        const pt_tensor *t = pt_find(&d, n);
        assert_int_equal(t->ndim, 3);
        assert_int_equal(t->shape[0], 2);
        assert_int_equal(t->shape[1], 2);
        for (int k = 0; k < 4; k++) assert_float_equal(t->data[k], want[k], 1e-6);
    }
    /* c: norms over dims 0 and 2 per column: (3,4) -> 5, (0,2) -> 2 */
    const pt_tensor *c = pt_find(&d, "c.weight");
    const float wc[] = {6, 0, 8, 1};
    for (int k = 0; k < 4; k++) assert_float_equal(c->data[k], wc[k], 1e-6);
    assert_null(pt_find(&d, "c.weight_g"));
    pt_free(&d);
    b_free(&z);
    b_free(&pk);
}

/* ---- malformed input: every case must fail cleanly with a clear message ---- */

static bytes with_pickle(const bytes *pk, size_t storage_floats)
{
    archive a = {0};
    ar_add(&a, "bad/data.pkl", pk->p, pk->n);
    ar_add_floats(&a, "bad/data/0", V6, storage_floats);
    return ar_build(&a);
}

static void expect_error(const char *name, const bytes *z, cv_code code, const char *needle)
{
    pt_dict d;
    cv_status s = load(name, z, &d);
    if (s.code != code || !strstr(s.message, needle))
        fail_msg("%s: got %s '%s', want %s containing '%s'", name, cv_code_name(s.code), s.message,
                 cv_code_name(code), needle);
    assert_int_equal(d.count, 0);
    assert_null(d.items);
}

static void expect_pickle_error(const char *name, const bytes *pk, const char *needle)
{
    bytes z = with_pickle(pk, 6);
    expect_error(name, &z, CV_INVALID_ARGUMENT, needle);
    b_free(&z);
}

static void test_truncated_and_garbage(void **state)
{
    (void)state;
    bytes z = simple_archive("t", V6);
    /* every prefix of a valid archive must be rejected */
    for (size_t cut = 0; cut < z.n; cut++) {
        pt_dict d;
        cv_status s = pt_load_memory(z.p, cut, "cut.pt", &d);
        assert_int_not_equal(s.code, CV_OK);
        assert_non_null(strstr(s.message, "cut.pt: "));
    }
    bytes half = {0};
    b_put(&half, z.p, z.n / 2);
    expect_error("truncated_half", &half, CV_INVALID_ARGUMENT, "zip");
    /* a flipped byte in a storage: libzip's CRC check catches it */
    bytes bad = {0};
    b_put(&bad, z.p, z.n);
    for (size_t k = 0; k + 4 <= bad.n; k++) {
        float f;
        memcpy(&f, bad.p + k, 4);
        if (f == 5.0f) {
            bad.p[k + 3] ^= 0x40;
            break;
        }
    }
    expect_error("bad_crc", &bad, CV_INVALID_ARGUMENT, "CRC");
    bytes junk = {0};
    b_put(&junk, "this is not a zip archive at all", 32);
    expect_error("not_zip", &junk, CV_INVALID_ARGUMENT, "not a readable zip archive");
    b_free(&z);
    b_free(&half);
    b_free(&bad);
    b_free(&junk);
}

static void test_missing_records(void **state)
{
    (void)state;
    archive a = {0};
    ar_add_floats(&a, "x/data/0", V6, 6);
    bytes z = ar_build(&a);
    expect_error("no_data_pkl", &z, CV_INVALID_ARGUMENT, "no data.pkl");
    b_free(&z);

    bytes pk = {0};
    pk_proto(&pk);
    pk_ordered_dict(&pk);
    pk_str(&pk, "w");
    pk_plain(&pk, "7", 2, SH23); /* storage 7 is not in the archive */
    b_op(&pk, 's');
    b_op(&pk, '.');
    z = with_pickle(&pk, 6);
    expect_error("no_storage", &z, CV_INVALID_ARGUMENT, "no record bad/data/7");
    b_free(&z);
    b_free(&pk);

    pt_dict d;
    cv_status s = pt_load("/nonexistent/dir/llm.pt", &d);
    assert_int_equal(s.code, CV_NOT_FOUND);
    assert_non_null(strstr(s.message, "/nonexistent/dir/llm.pt"));
}

static void test_bad_pickles(void **state)
{
    (void)state;
    bytes pk = {0};
    /* INT (text) is not a torch opcode */
    pk_proto(&pk);
    b_put(&pk, "I1\n.", 4);
    expect_pickle_error("bad_opcode", &pk, "unsupported pickle opcode 0x49 at offset 2");
    b_free(&pk);

    pk_proto(&pk);
    pk_global(&pk, "os", "system");
    expect_pickle_error("bad_global", &pk, "unsupported pickle global 'os.system'");
    b_free(&pk);

    pk_proto(&pk);
    b_op(&pk, 'h');
    b_op(&pk, 5);
    expect_pickle_error("memo_unset", &pk, "memo index 5 unset");
    b_free(&pk);

    pk_proto(&pk);
    b_op(&pk, 's');
    expect_pickle_error("underflow", &pk, "stack underflow");
    b_free(&pk);

    pk_proto(&pk);
    b_op(&pk, ']');
    b_op(&pk, '.');
    expect_pickle_error("not_dict", &pk, "not a dict");
    b_free(&pk);

    pk_proto(&pk);
    b_op(&pk, '}');
    expect_pickle_error("no_stop", &pk, "truncated");
    b_free(&pk);

    pk_proto(&pk);
    pk_str(&pk, "x");
    pk.n -= 1; /* string length says 1, no byte follows */
    expect_pickle_error("short_string", &pk, "truncated");
    b_free(&pk);

    /* 40 nested dicts */
    pk_proto(&pk);
    for (int k = 0; k < 40; k++) {
        b_op(&pk, '}');
        pk_str(&pk, "k");
    }
    pk_plain(&pk, "0", 2, SH23);
    for (int k = 0; k < 40; k++) b_op(&pk, 's');
    b_op(&pk, '.');
    expect_pickle_error("deep", &pk, "deeper than");
    b_free(&pk);

    /* a DAG that doubles at each of 30 levels must not be walked 2^30 times */
    pk_proto(&pk);
    b_op(&pk, '}');
    b_op(&pk, 'q');
    b_op(&pk, 0);
    for (int k = 1; k <= 30; k++) {
        b_op(&pk, '}');
        pk_str(&pk, "a");
        b_op(&pk, 'h');
        b_op(&pk, (uint8_t)(k - 1));
        b_op(&pk, 's');
        pk_str(&pk, "b");
        b_op(&pk, 'h');
        b_op(&pk, (uint8_t)(k - 1));
        b_op(&pk, 's');
        b_op(&pk, 'q');
        b_op(&pk, (uint8_t)k);
    }
    b_op(&pk, '.');
    expect_pickle_error("dag", &pk, "too many objects");
    b_free(&pk);

    /* object, MARK and stack counts are capped, not just the pickle's size */
    const uint8_t floods[] = {')', '(', 'h'};
    for (int k = 0; k < 3; k++) {
        pk_proto(&pk);
        b_op(&pk, '}');
        b_op(&pk, 'q');
        b_op(&pk, 0);
        for (int j = 0; j < 2000001; j++) {
            b_op(&pk, floods[k]);
            if (floods[k] == 'h') b_op(&pk, 0);
        }
        static const char *const needles[] = {"more than 2000000 objects", "more than 2000000 open MARKs",
                                              "stack deeper than 2000000"};
        expect_pickle_error(k == 0 ? "flood_objects" : k == 1 ? "flood_marks" : "flood_stack", &pk, needles[k]);
        b_free(&pk);
    }

    /* two keys flattening to one name */
    pk_proto(&pk);
    b_op(&pk, '}');
    pk_str(&pk, "a.b");
    pk_plain(&pk, "0", 2, SH23);
    b_op(&pk, 's');
    pk_str(&pk, "a");
    b_op(&pk, '}');
    pk_str(&pk, "b");
    pk_plain(&pk, "0", 2, SH23);
    b_op(&pk, 's');
    b_op(&pk, 's');
    b_op(&pk, '.');
    expect_pickle_error("duplicate", &pk, "duplicate tensor name 'a.b'");
    b_free(&pk);
}

static void test_bad_tensors(void **state)
{
    (void)state;
    bytes pk = {0};
    /* shape [2,3] with stride (3,1) needs 6 elements; the storage claims 5 */
    pk_proto(&pk);
    b_op(&pk, '}');
    pk_str(&pk, "w");
    pk_tensor(&pk, "FloatStorage", "0", 5, 0, 2, SH23, ST23);
    b_op(&pk, 's');
    b_op(&pk, '.');
    expect_pickle_error("view_too_big", &pk, "too small for its shape");
    b_free(&pk);

    /* the pickle claims 6 floats, the record holds 5 */
    pk_proto(&pk);
    b_op(&pk, '}');
    pk_str(&pk, "w");
    pk_plain(&pk, "0", 2, SH23);
    b_op(&pk, 's');
    b_op(&pk, '.');
    bytes z = with_pickle(&pk, 5);
    expect_error("short_storage", &z, CV_INVALID_ARGUMENT, "holds 20 bytes but its pickle record needs 24");
    b_free(&z);
    b_free(&pk);

    /* an absurd size must be refused before any allocation */
    const int64_t huge[] = {(int64_t)1 << 40}, one[] = {1};
    pk_proto(&pk);
    b_op(&pk, '}');
    pk_str(&pk, "w");
    pk_tensor(&pk, "FloatStorage", "0", (int64_t)1 << 40, 0, 1, huge, one);
    b_op(&pk, 's');
    b_op(&pk, '.');
    z = with_pickle(&pk, 6);
    expect_error("huge", &z, CV_RESOURCE_EXHAUSTED, "justifies");
    b_free(&z);
    b_free(&pk);

    /* unsupported storage class */
    pk_proto(&pk);
    b_op(&pk, '}');
    pk_str(&pk, "w");
    pk_tensor(&pk, "ByteStorage", "0", 6, 0, 2, SH23, ST23);
    b_op(&pk, 's');
    b_op(&pk, '.');
    expect_pickle_error("byte_storage", &pk, "unsupported pickle global 'torch.ByteStorage'");
    b_free(&pk);

    /* one storage described with two dtypes */
    const int64_t s3[] = {3}, s1[] = {1};
    pk_proto(&pk);
    b_op(&pk, '}');
    b_op(&pk, '(');
    pk_str(&pk, "a");
    pk_tensor(&pk, "FloatStorage", "0", 6, 0, 1, s3, s1);
    pk_str(&pk, "b");
    pk_tensor(&pk, "IntStorage", "0", 6, 0, 1, s3, s1);
    b_op(&pk, 'u');
    b_op(&pk, '.');
    expect_pickle_error("two_dtypes", &pk, "described twice");
    b_free(&pk);
}

static void test_weight_norm_errors(void **state)
{
    (void)state;
    for (int c = 0; c < 2; c++) {
        bytes pk = {0};
        pk_proto(&pk);
        b_op(&pk, '}');
        b_op(&pk, '(');
        const int64_t gs[] = {2, 1, 1}, vs[] = {3, 1, 1}, st[] = {1, 1, 1};
        pk_str(&pk, "x.weight_g");
        pk_tensor(&pk, "FloatStorage", "0", 6, 0, 3, gs, st);
        if (c == 1) { /* 3 rows, but g has 2 */
            pk_str(&pk, "x.weight_v");
            pk_tensor(&pk, "FloatStorage", "0", 6, 0, 3, vs, st);
        }
        b_op(&pk, 'u');
        b_op(&pk, '.');
        bytes z = with_pickle(&pk, 6);
        pt_dict d;
        cv_status s = load(c ? "wn_mismatch" : "wn_orphan", &z, &d);
        assert_int_equal(s.code, CV_OK);
        s = pt_fold_weight_norm(&d);
        assert_int_equal(s.code, CV_INVALID_ARGUMENT);
        assert_non_null(strstr(s.message, c ? "do not fit" : "no matching 'x.weight_v'"));
        pt_free(&d);
        b_free(&z);
        b_free(&pk);
    }
}

/* ---- files in tests/data: ZIP64 and the golden tiny CosyVoice checkpoints ---- */

static char *data_file(const char *dir, const char *file)
{
    const char *root = getenv("CV_SOURCE_DIR");
    static char path[1024];
    snprintf(path, sizeof path, "%s/tests/data/%s/%s", root ? root : ".", dir, file);
    return path;
}

static char *golden(const char *file) { return data_file("golden/cosyvoice-v1-tiny", file); }

/* Entries with ZIP64 extra fields in their local headers (written by
 * Python's zipfile with force_zip64; the golden files carry ZIP64 end
 * records, as torch always writes them). */
static void test_zip64(void **state)
{
    (void)state;
    pt_dict d;
    cv_status s = pt_load(data_file("pt", "zip64_forced.pt"), &d);
    assert_int_equal(s.code, CV_OK);
    const pt_tensor *t = pt_find(&d, "w");
    assert_non_null(t);
    for (int k = 0; k < 6; k++) assert_true(t->data[k] == V6[k]);
    pt_free(&d);
}

static int64_t total_numel(const pt_dict *d)
{
    int64_t n = 0;
    for (size_t k = 0; k < d->count; k++) n += pt_numel(&d->items[k]);
    return n;
}

static void expect_shape(const pt_dict *d, const char *name, int nd, int64_t a, int64_t b, int64_t c)
{
    const pt_tensor *t = pt_find(d, name);
    if (!t) fail_msg("missing %s", name);
    assert_int_equal(t->ndim, nd);
    const int64_t want[] = {a, b, c};
    for (int k = 0; k < nd; k++) assert_int_equal(t->shape[k], want[k]);
}

static void test_golden_llm_flow(void **state)
{
    (void)state;
    pt_dict d;
    cv_status s = pt_load(golden("llm.pt"), &d);
    assert_int_equal(s.code, CV_OK);
    assert_int_equal(total_numel(&d), 1531489); /* MANIFEST.json param_counts */
    expect_shape(&d, "text_embedding.weight", 2, 51866, 16, 0);
    expect_shape(&d, "speech_embedding.weight", 2, 4096, 64, 0);
    expect_shape(&d, "llm_decoder.weight", 2, 4097, 64, 0);
    expect_shape(&d, "text_encoder.encoders.1.self_attn.linear_q.weight", 2, 64, 64, 0);
    assert_int_equal(pt_fold_weight_norm(&d).code, CV_OK); /* nothing to fold */
    assert_int_equal(total_numel(&d), 1531489);
    pt_free(&d);

    s = pt_load(golden("flow.pt"), &d);
    assert_int_equal(s.code, CV_OK);
    assert_int_equal(total_numel(&d), 520512);
    expect_shape(&d, "input_embedding.weight", 2, 4096, 32, 0);
    expect_shape(&d, "spk_embed_affine_layer.weight", 2, 80, 192, 0);
    pt_free(&d);
}

static void test_golden_hift(void **state)
{
    (void)state;
    pt_dict d;
    cv_status s = pt_load(golden("hift.pt"), &d);
    assert_int_equal(s.code, CV_OK);
    assert_int_equal(total_numel(&d), 111471);
    const pt_tensor *g = pt_find(&d, "conv_pre.weight_g"), *v = pt_find(&d, "conv_pre.weight_v");
    assert_non_null(g);
    assert_non_null(v);
    expect_shape(&d, "conv_pre.weight_v", 3, 32, 80, 7);
    /* reference for row 5 computed independently of the folding code */
    double ss = 0;
    for (int k = 0; k < 560; k++) ss += (double)v->data[5 * 560 + k] * v->data[5 * 560 + k];
    float want = (float)(g->data[5] * v->data[5 * 560 + 3] / sqrt(ss));
    size_t before = d.count;
    size_t pairs = 0;
    for (size_t k = 0; k < d.count; k++) {
        size_t n = strlen(d.items[k].name);
        if (n > 9 && strcmp(d.items[k].name + n - 9, ".weight_g") == 0) pairs++;
    }
    assert_true(pairs > 10);
    s = pt_fold_weight_norm(&d);
    assert_int_equal(s.code, CV_OK);
    assert_int_equal(d.count, before - pairs);
    for (size_t k = 0; k < d.count; k++) {
        assert_null(strstr(d.items[k].name, "weight_g"));
        assert_null(strstr(d.items[k].name, "weight_v"));
    }
    const pt_tensor *w = pt_find(&d, "conv_pre.weight");
    assert_non_null(w);
    expect_shape(&d, "conv_pre.weight", 3, 32, 80, 7);
    assert_float_equal(w->data[5 * 560 + 3], want, 1e-7);
    expect_shape(&d, "ups.0.weight", 3, 32, 16, 16); /* ConvTranspose1d: [in, out, k] */
    pt_free(&d);
}

static void test_golden_spk2info(void **state)
{
    (void)state;
    pt_dict d;
    cv_status s = pt_load(golden("spk2info.pt"), &d);
    assert_int_equal(s.code, CV_OK);
    assert_int_equal(d.count, 7);
    const char *spk[] = {"中文女", "中文男", "英文女", "英文男", "日语男", "粤语女", "韩语女"};
    for (int k = 0; k < 7; k++) {
        char name[64];
        snprintf(name, sizeof name, "%s.embedding", spk[k]);
        expect_shape(&d, name, 2, 1, 192, 0);
    }
    pt_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_f32_basic),
        cmocka_unit_test(test_archive_folder_and_byteorder),
        cmocka_unit_test(test_half_bfloat_int),
        cmocka_unit_test(test_strides_and_shared_storage),
        cmocka_unit_test(test_nested_dicts),
        cmocka_unit_test(test_weight_norm),
        cmocka_unit_test(test_truncated_and_garbage),
        cmocka_unit_test(test_missing_records),
        cmocka_unit_test(test_bad_pickles),
        cmocka_unit_test(test_bad_tensors),
        cmocka_unit_test(test_weight_norm_errors),
        cmocka_unit_test(test_zip64),
        cmocka_unit_test(test_golden_llm_flow),
        cmocka_unit_test(test_golden_hift),
        cmocka_unit_test(test_golden_spk2info),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
