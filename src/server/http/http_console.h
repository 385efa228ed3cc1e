/* http_console.h - GET /console/...: the web console's static files
 * (server/console/) with their headers.  The files need no signature; the
 * page signs every API call it makes like any other client. */
#pragma once

#include <microhttpd.h>
#include <stdbool.h>

/* Whether url is the console's: "/console" or below "/console/". */
bool http_console_path(const char *url);

/* Answer a request for a console url (http_console_path() true):
 * "/console" redirects to "/console/"; GET and HEAD of a known file get it
 * (or 304 when If-None-Match names its ETag); an unknown file is 404,
 * another method 405. */
enum MHD_Result http_console_serve(struct MHD_Connection *conn, const char *method, const char *url);
