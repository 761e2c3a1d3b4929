/*
 * POST /api/v1/auth/token: the OAuth 2.0 client credentials grant
 * (RFC 6749 4.4), as a form with HTTP Basic or client_id/client_secret
 * fields, or as a JSON body. GET /auth/me and GET /auth/keys (JWKS).
 * Art. 11.2 (R10.1): every non-public call is identified and
 * authenticated by the token issued here.
 */
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "ds.h"
#include "auth.h"

struct creds {
	const char	*client_id;
	const char	*secret;
};

/* "Basic base64(id:secret)" -> creds; 0 or -1. */
static int
basic_creds(struct http_req *r, struct creds *c)
{
	const char *h = r->authorization + 6;
	size_t n = strlen(h);
	unsigned char *dec;
	char *colon;
	int len;

	if (n == 0 || n > 1024 || n % 4 != 0)
		return -1;
	dec = arena_alloc(r->arena, n / 4 * 3 + 1);
	if ((len = EVP_DecodeBlock(dec, (const unsigned char *)h, (int)n)) < 0)
		return -1;
	/* EVP_DecodeBlock counts the padding as zero bytes. */
	while (n > 0 && h[n - 1] == '=') {
		n--;
		len--;
	}
	dec[len] = '\0';
	if (memchr(dec, '\0', (size_t)len) != NULL ||
	    (colon = strchr((char *)dec, ':')) == NULL)
		return -1;
	*colon = '\0';
	c->client_id = (char *)dec;
	c->secret = colon + 1;
	return 0;
}

static int
form_creds_or_reply(struct http_req *r, struct creds *c)
{
	struct kv *kv;
	size_t n;
	const char *grant;

	if (http_parse_form(r->arena, r->body ? r->body : "", r->body_len,
	    &kv, &n) != DS_OK)
		return http_error(r, 400, "invalid_request",
		    "the form body is malformed");
	grant = kv_get(kv, n, "grant_type");
	if (grant == NULL || strcmp(grant, "client_credentials") != 0)
		return http_error(r, 400, "unsupported_grant_type",
		    "grant_type must be client_credentials");
	c->client_id = kv_get(kv, n, "client_id");
	c->secret = kv_get(kv, n, "client_secret");
	return 0;
}

static int
json_creds_or_reply(struct http_req *r, struct creds *c)
{
	static const char *const grants[] = { "client_credentials", NULL };
	enum { TK_CLIENT, TK_CLIENT_SECRET, TK_GRANT_TYPE, TK__N };
	static const struct field spec[TK__N] = {
		[TK_CLIENT] = { "client_id", F_STRING, true, 1, 128, NULL },
		[TK_CLIENT_SECRET] = { "client_secret", F_STRING, true, 1, 256,
		    NULL },
		[TK_GRANT_TYPE] = { "grant_type", F_ENUM, false, 0, 0,
		    grants },
	};
	struct fval v[NPARAMS(spec)];

	if (json_read_or_reply(r, r->json, spec, NPARAMS(spec), v) != DS_OK)
		return DS_REPLIED;
	c->client_id = v[TK_CLIENT].s;
	c->secret = v[TK_CLIENT_SECRET].s;
	return 0;
}

static int
read_creds_or_reply(struct http_req *r, struct creds *c)
{
	struct creds basic = { NULL, NULL };

	memset(c, 0, sizeof(*c));
	if (r->json != NULL) {
		if (json_creds_or_reply(r, c) != 0)
			return DS_REPLIED;
	} else if (form_creds_or_reply(r, c) != 0)
		return DS_REPLIED;
	if (r->authorization != NULL &&
	    strncasecmp(r->authorization, "Basic ", 6) == 0) {
		if (basic_creds(r, &basic) != 0)
			return http_error(r, 401, "invalid_client",
			    "malformed Basic credentials");
		if (c->client_id != NULL)
			return http_error(r, 400, "invalid_request",
			    "give the credentials once, not in two places");
		*c = basic;
	}
	if (c->client_id == NULL || c->secret == NULL)
		return http_error(r, 401, "invalid_client",
		    "client credentials are required");
	return 0;
}

/*
 * Whether id could be a client id at all. The column is ASCII (ascii_bin):
 * MariaDB refuses to compare it with text outside ASCII (error 1267, an
 * illegal mix of collations), and we issue only printable ASCII ids
 * ("ds-" and base64url), so any other id is simply unknown.
 */
static bool
client_id_possible(const char *id)
{
	for (; *id != '\0'; id++)
		if ((unsigned char)*id < 0x21 || (unsigned char)*id > 0x7e)
			return false;
	return true;
}

void
token_issue(struct http_req *r)
{
	static const char *sql =
	    "SELECT id, agency_id, roles, status, secret_hash, "
	    "  UNIX_TIMESTAMP() AS now FROM accounts WHERE client_id = ?";
	struct creds c;
	struct db_rows *rows = NULL;
	struct db_param p[1];
	const char *hash = NULL, *token;
	long long ttl;
	bool ok;
	int st;
	json_object *o;

	if (read_creds_or_reply(r, &c) != 0)
		return;
	p[0] = P_STR(c.client_id);
	if (client_id_possible(c.client_id) &&
	    (st = db_query(r->arena, sql, p, 1, &rows)) != DS_OK) {
		http_error_status(r, st);
		return;
	}
	if (rows != NULL && rows->nrows == 1)
		hash = db_get(rows, 0, "secret_hash");
	/* The same check, the same message and about the same time for an
	 * unknown client (one that cannot exist too), a wrong secret and a
	 * disabled account. */
	ok = secret_verify(hash, c.secret);
	if (!ok || rows == NULL || rows->nrows != 1 ||
	    strcmp(db_get(rows, 0, "status"), "active") != 0) {
		http_header(r, "WWW-Authenticate", "Basic realm=\"datashare\"");
		http_error(r, 401, "invalid_client",
		    "invalid client credentials");
		return;
	}
	ttl = conf_int("token_lifetime", 900, 60, 86400, NULL);
	token = token_sign(r->arena, db_get_int(rows, 0, "id"),
	    db_get_int(rows, 0, "agency_id"),
	    (unsigned)db_get_int(rows, 0, "roles"),
	    db_get_int(rows, 0, "now"), ttl);
	if (token == NULL) {
		http_error_status(r, DS_ERR);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "access_token", json_object_new_string(token));
	json_object_object_add(o, "token_type", json_object_new_string("Bearer"));
	json_object_object_add(o, "expires_in", json_object_new_int64(ttl));
	http_header(r, "Cache-Control", "no-store");
	http_reply(r, 200, o);
}

void
me_show(struct http_req *r)
{
	static const char *sql =
	    "SELECT a.id, a.name, a.client_id, a.grant_id, g.id AS agency_id, "
	    "  g.code AS agency_code, g.name AS agency_name, g.is_dic "
	    "FROM accounts a JOIN agencies g ON g.id = a.agency_id "
	    "WHERE a.id = ?";
	struct db_param p[] = { P_INT(r->who.account_id) };
	struct db_rows *rows;
	json_object *o;
	int st;

	if ((st = db_query(r->arena, sql, p, 1, &rows)) != DS_OK ||
	    rows->nrows != 1) {
		http_error_status(r, st != DS_OK ? st : DS_ENOTFOUND);
		return;
	}
	o = db_row_json(rows, 0);
	json_object_object_add(o, "roles", roles_json(r->who.roles));
	http_reply(r, 200, o);
}

void
keys_show(struct http_req *r)
{
	http_header(r, "Cache-Control", "public, max-age=300");
	http_reply(r, 200, auth_jwks(r->arena));
}
