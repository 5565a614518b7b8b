/* The web page's files, embedded in the server at build time from
 * src/http/web/ (cmake/http_assets.cmake), so the page needs nothing
 * installed beside the binary and nothing fetched at run time. */
#ifndef CV_WEB_ASSETS_H
#define CV_WEB_ASSETS_H

#include <stddef.h>

typedef struct web_asset {
    const char *path; /* "/index.html", "/app.js", ... */
    const char *type; /* Content-Type */
    const unsigned char *data;
    size_t len;
} web_asset;

extern const web_asset web_assets[];
extern const size_t web_assets_count;

#endif
