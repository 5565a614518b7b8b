/* cmocka setup/teardown giving each test a fresh temporary directory with
 * one file path in it (g_path), removed afterwards. Define
 * TMP_FIXTURE_FILE (the file's name) before including. */
#ifndef CV_TMP_FILE_FIXTURE_H
#define CV_TMP_FILE_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char g_dir[64];
static char g_path[128];

static int setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/cv_test_XXXXXX");
    if (!mkdtemp(g_dir))
        return -1;
    snprintf(g_path, sizeof g_path, "%s/%s", g_dir, TMP_FIXTURE_FILE);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(g_path);
    rmdir(g_dir);
    return 0;
}

#endif
