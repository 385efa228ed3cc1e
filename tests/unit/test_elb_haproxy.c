/* Unit tests: a load balancer's HAProxy configuration (elb_haproxy.c):
 * rules in priority order as ACLs, wildcards as anchored expressions with
 * punctuation in classes, weighted forwards as slices of one draw, fixed
 * responses in files, draining targets left out, health checks. */
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/elbv2/elb_haproxy.h"
#include "test.h"

#define TG_A "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/a/aaaaaaaaaaaaaaaa"
#define TG_B "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/b/bbbbbbbbbbbbbbbb"
#define LISTENER "arn:aws:elasticloadbalancing:us-east-1:000000000000:listener/app/x/1111111111111111/2222222222222222"

static json_t *tg(const char *arn, const char *matcher)
{
    return json_pack("{s:s, s:s, s:i, s:s, s:s, s:b, s:i, s:i, s:i, s:i, s:s, s:{s:s}, s:{s:s, s:s}, s:[{s:s, s:i, "
                     "s:s}, {s:s, s:i, s:s, s:f}]}",
                     "TargetGroupArn", arn, "Protocol", "HTTP", "Port", 80, "HealthCheckProtocol", "HTTP",
                     "HealthCheckPort", "traffic-port", "HealthCheckEnabled", 1, "HealthCheckIntervalSeconds", 5,
                     "HealthCheckTimeoutSeconds", 2, "HealthyThresholdCount", 3, "UnhealthyThresholdCount", 2,
                     "HealthCheckPath", "/health", "Matcher", "HttpCode", matcher, "berthAttributes",
                     "stickiness.enabled", "false", "load_balancing.algorithm.type", "least_outstanding_requests",
                     "berthTargets", "Id", "10.0.0.1", "Port", 8080, "berthAddress", "10.0.0.1", "Id", "10.0.0.2",
                     "Port", 8080, "berthAddress", "10.0.0.2", "berthDrainUntil", 1e12);
}

TEST(elb_haproxy_config)
{
    json_t *lb = json_pack("{s:s, s:s, s:{s:s}}", "LoadBalancerArn", "lb-arn", "berthAddress", "127.100.1.2",
                           "berthAttributes", "idle_timeout.timeout_seconds", "30");
    json_t *rules = json_pack("[{s:[{s:s, s:{s:[s]}}], s:[{s:s, s:{s:[{s:s, s:i}]}}]},"
                              " {s:[{s:s, s:{s:[s, s]}}], s:[{s:s, s:{s:[{s:s, s:i}, {s:s, s:i}]}}]}]",
                              "Conditions", "Field", "path-pattern", "PathPatternConfig", "Values", "/api/v?.json",
                              "Actions", "Type", "forward", "ForwardConfig", "TargetGroups", "TargetGroupArn", TG_B,
                              "Weight", 1, "Conditions", "Field", "host-header", "HostHeaderConfig", "Values",
                              "*.example.com", "a-b.org", "Actions", "Type", "forward", "ForwardConfig", "TargetGroups",
                              "TargetGroupArn", TG_A, "Weight", 30, "TargetGroupArn", TG_B, "Weight", 70);
    json_array_append_new(rules, json_pack("{s:[{s:s, s:{s:[{s:s, s:s}, {s:s}]}}], s:[{s:s, s:{s:[{s:s, s:i}]}}]}",
                                           "Conditions", "Field", "query-string", "QueryStringConfig", "Values", "Key",
                                           "v", "Value", "2.*", "Value", "b?", "Actions", "Type", "forward",
                                           "ForwardConfig", "TargetGroups", "TargetGroupArn", TG_A, "Weight", 1));
    json_t *listeners =
        json_pack("[{s:s, s:s, s:i, s:o, s:[{s:s, s:{s:s, s:s, s:s}}]}]", "ListenerArn", LISTENER, "Protocol", "HTTP",
                  "Port", 8000, "berthRules", rules, "DefaultActions", "Type", "fixed-response", "FixedResponseConfig",
                  "StatusCode", "404", "ContentType", "text/plain", "MessageBody", "no \"route\" $HOME");
    json_t *tgs = json_pack("{s:o, s:o}", TG_A, tg(TG_A, "200,202-203"), TG_B, tg(TG_B, "200"));
    _cleanup_json_ json_t *files = json_object();
    struct elb_haproxy_input in = {lb, listeners, tgs, "/d", "sock", NULL};
    struct buf cfg;
    struct error err;
    buf_init(&cfg, 1 << 20);
    CHECK(elb_haproxy_config(&in, &cfg, files, &err) == 0);
    const char *c = cfg.data ? cfg.data : "";
    CHECK(strstr(c, "stats socket abns@sock level admin\n"));
    CHECK(strstr(c, "timeout client 30s\n"));
    CHECK(strstr(c, "bind 127.100.1.2:8000\n"));
    CHECK(strstr(c, "acl r0c0 path -m reg ^[/]api[/]v.[.]json$\n"));
    CHECK(strstr(c, "acl r1c0 req.hdr(host),field(1,:) -i -m reg ^.*[.]example[.]com$ ^a[-]b[.]org$\n"));
    /* A connection refused (a target not listening yet) is retried on another. */
    CHECK(strstr(c, "    retries 3\n    option redispatch 1\n"));
    /* query-string: one line per pair under one name (ORed), wildcards within a parameter. */
    CHECK(strstr(
        c, "acl r2c0 query -i -m reg (^|&)v=2[.][^&]*(&|$)\n    acl r2c0 query -i -m reg (^|&)[^&=]*=b[^&](&|$)\n"));
    CHECK(strstr(c, "use_backend tg_aaaaaaaaaaaaaaaa if r2c0\n"));
    /* Rule 0 before rule 1, each a use_backend; the weighted one as slices. */
    const char *u0 = strstr(c, "use_backend tg_bbbbbbbbbbbbbbbb if r0c0\n");
    const char *u1 = strstr(c, "use_backend tg_aaaaaaaaaaaaaaaa if r1c0 { var(txn.w1) -m int ge 0 } "
                               "{ var(txn.w1) -m int lt 30 }\n");
    CHECK(u0 && u1 && u0 < u1);
    CHECK(strstr(c, "use_backend tg_bbbbbbbbbbbbbbbb if r1c0 { var(txn.w1) -m int ge 30 } "
                    "{ var(txn.w1) -m int lt 100 }\n"));
    CHECK(strstr(c, "http-request set-var(txn.w1) rand(100)\n"));
    /* The body is a file, never configuration text. */
    CHECK(strstr(c, "default_backend fr_2222222222222222_d\n"));
    CHECK(strstr(c, "http-request return status 404 content-type text/plain file /d/fr_2222222222222222_d.body\n"));
    CHECK(!strstr(c, "route"));
    CHECK_STR(json_string_value(json_object_get(files, "fr_2222222222222222_d.body")), "no \"route\" $HOME");
    /* Health checks, the matcher, the algorithm; the draining target left out. */
    CHECK(strstr(c, "http-check expect rstatus ^(200|202|203)$\n"));
    CHECK(strstr(c, "http-check send meth GET uri /health ver HTTP/1.1 hdr Host 127.100.1.2\n"));
    CHECK(strstr(c, "balance leastconn\n"));
    CHECK(strstr(c, "server 10.0.0.1:8080 10.0.0.1:8080 check inter 5s fall 2 rise 3\n"));
    CHECK(!strstr(c, "10.0.0.2"));
    buf_free(&cfg);
    json_decref(lb);
    json_decref(listeners);
    json_decref(tgs);
}

/* An HTTPS listener: its certificates (default first) and policy on the
 * bind line, X-Forwarded-Proto https, a #{protocol} redirect staying on
 * https; one whose certificate cannot be had is not served. */
TEST(elb_haproxy_https)
{
    json_t *lb = json_pack("{s:s, s:s}", "LoadBalancerArn", "lb-arn", "berthAddress", "127.100.1.2");
    json_t *listeners = json_pack(
        "[{s:s, s:s, s:i, s:s, s:[{s:s}], s:[{s:s}], s:[], s:[{s:s, s:{s:s, s:s}}]},"
        " {s:s, s:s, s:i, s:[{s:s}], s:[], s:[{s:s, s:{s:s}}]}]",
        "ListenerArn", LISTENER, "Protocol", "HTTPS", "Port", 8443, "SslPolicy", "ELBSecurityPolicy-TLS13-1-2-2021-06",
        "Certificates", "CertificateArn", "acm-a", "berthCertificates", "CertificateArn", "acm-b", "berthRules",
        "DefaultActions", "Type", "redirect", "RedirectConfig", "StatusCode", "HTTP_301", "Path", "/new", "ListenerArn",
        "arn:x/3333333333333333", "Protocol", "HTTPS", "Port", 9443, "Certificates", "CertificateArn", "acm-gone",
        "berthRules", "DefaultActions", "Type", "fixed-response", "FixedResponseConfig", "StatusCode", "200");
    json_t *certs = json_pack("{s:s, s:s}", "acm-a", "cert-a.pem", "acm-b", "cert-b.pem");
    _cleanup_json_ json_t *files = json_object(), *tgs = json_object();
    struct elb_haproxy_input in = {lb, listeners, tgs, "/d", "sock", certs};
    struct buf cfg;
    struct error err;
    buf_init(&cfg, 1 << 20);
    CHECK(elb_haproxy_config(&in, &cfg, files, &err) == 0);
    const char *c = cfg.data ? cfg.data : "";
    CHECK(strstr(c, "bind 127.100.1.2:8443 ssl crt /d/cert-a.pem crt /d/cert-b.pem ssl-min-ver TLSv1.2 "
                    "ssl-max-ver TLSv1.3 ciphers ECDHE-ECDSA-AES128-GCM-SHA256:"));
    CHECK(strstr(c, " ciphersuites TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256 "
                    "alpn http/1.1\n"));
    CHECK(strstr(c, "http-request set-header X-Forwarded-Proto https\n"));
    CHECK(strstr(c, "location https://%[req.hdr(host),field(1,:)]:8443/new?%[query]\n"));
    CHECK(!strstr(c, "9443"));
    buf_free(&cfg);
    json_decref(lb);
    json_decref(listeners);
    json_decref(certs);
}
