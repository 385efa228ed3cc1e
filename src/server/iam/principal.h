/* principal.h - what a caller's principal ARN names: the account's root,
 * an IAM user, a role session (STS AssumeRole), or something else (an
 * agent's container instance...).  Only the request's own account counts:
 * an ARN of another account is "other". */
#pragma once

enum principal_kind {
    PRINCIPAL_OTHER = 0,
    PRINCIPAL_ROOT,         /* arn:aws:iam::ACCT:root */
    PRINCIPAL_USER,         /* arn:aws:iam::ACCT:user[/path]/NAME */
    PRINCIPAL_ASSUMED_ROLE, /* arn:aws:sts::ACCT:assumed-role/ROLE/SESSION */
};

struct principal {
    enum principal_kind kind;
    char name[129];   /* the user's or the role's name */
    char session[65]; /* a role session's name */
};

void principal_parse(const char *account, const char *arn, struct principal *ret);
