/*
 * tls.h - TLS settings and OpenSSL checks of the files before connecting.
 *
 * Offers:
 *   tls_check_files  check CA, certificate and key: readable, PEM, the
 *                    certificate valid now, the key matching the certificate;
 *                    warns (log_warn) when a key file is readable by group or
 *                    others. On failure writes "FILE: cause" into err.
 *   tls_alpn_default the ALPN protocol for a port and authentication method
 *                    (443 with a client certificate: "x-amzn-mqtt-ca"; 443
 *                    with a username: "mqtt"; else NULL)
 */
#ifndef SHADOW_TLS_H
#define SHADOW_TLS_H

#include <stdbool.h>
#include <stddef.h>

struct shadow_config;

int tls_check_files(const struct shadow_config *cfg, char *err, size_t errlen);
const char *tls_alpn_default(int port, bool has_cert, bool has_username);

#endif
