#include "server/cert_dates.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <string.h>

#include "common/log.h"

/* "2026-12-02 15:43:07 UTC" */
static void format_time(const ASN1_TIME *t, char *buf, size_t cap)
{
    struct tm tm;
    if (!ASN1_TIME_to_tm(t, &tm) || !strftime(buf, cap, "%Y-%m-%d %H:%M:%S UTC", &tm))
        snprintf(buf, cap, "(unreadable date)");
}

void cert_dates_check(const char *option, const char *path, const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, (int)strlen(pem));
    X509 *crt = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    if (!crt) {
        LOG_WARN("%s %s: the certificate's dates could not be read", option, path);
        return;
    }
    const ASN1_TIME *from = X509_get0_notBefore(crt), *until = X509_get0_notAfter(crt);
    char from_s[64], until_s[64];
    format_time(from, from_s, sizeof from_s);
    format_time(until, until_s, sizeof until_s);
    int days = 0, secs = 0;
    if (X509_cmp_current_time(until) <= 0)
        LOG_WARN("%s %s: the certificate EXPIRED on %s: TLS clients will refuse it; renew it",
                 option, path, until_s);
    else if (X509_cmp_current_time(from) > 0)
        LOG_WARN("%s %s: the certificate is not valid before %s: TLS clients will refuse it "
                 "until then (is the clock right?)", option, path, from_s);
    else if (ASN1_TIME_diff(&days, &secs, NULL, until) && days < 7)
        LOG_WARN("%s %s: the certificate expires on %s, in %d day(s) %d h: renew it", option,
                 path, until_s, days, secs / 3600);
    else
        LOG_INFO("%s %s: certificate valid until %s", option, path, until_s);
    X509_free(crt);
}
