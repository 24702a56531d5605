/*
 * tls.h - TLS settings and OpenSSL checks of the files before connecting.
 *
 * Offers:
 *   tls_check_files  check CA, certificate and key: readable, PEM, the
 *                    certificate valid now, the key matching the certificate;
 *                    warns (log_warn) when a key file is readable by group or
 *                    others. On failure writes "FILE: cause" into err.
 *   tls_load_pair    a TLS server's certificate and key files (shadowd's
 *                    HTTPS face), checked the same way, and their PEM texts
 *   tls_alpn_default the ALPN protocol for a port and authentication method
 *                    (443 with a client certificate: "x-amzn-mqtt-ca"; 443
 *                    with a username: "mqtt"; else NULL)
 *   tls_probe        does HOST:PORT answer a TLS ClientHello with a TLS
 *                    handshake? (a plain MQTT client meeting a TLS listener)
 */
#ifndef SHADOW_TLS_H
#define SHADOW_TLS_H

#include <stdbool.h>
#include <stddef.h>

struct shadow_config;

int tls_check_files(const struct shadow_config *cfg, char *err, size_t errlen);
/* cert and key (both given) checked as tls_check_files checks a client's;
 * *cert_pem and *key_pem get the files' PEM texts (malloc'd; NULL after a
 * failure, with "FILE: cause" in err). */
int tls_load_pair(const char *cert, const char *key, char **cert_pem,
    char **key_pem, char *err, size_t errlen);
const char *tls_alpn_default(int port, bool has_cert, bool has_username);
/* 1 yes, 0 no, -1 could not connect; waits at most timeout_ms a read. */
int tls_probe(const char *host, int port, int timeout_ms);

#endif
