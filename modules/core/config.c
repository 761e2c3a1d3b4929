/*
 * Settings: a key=value file ('#' starts a comment), each key overridable
 * by the environment variable DS_<KEY> (upper case), which wins.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds.h"

#define CONF_MAX	128
#define KEY_MAX		64

static struct {
	char	*key;
	char	*value;
} conf[CONF_MAX];
static size_t nconf;

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int
valid_key(const char *k)
{
	size_t n = 0;

	for (; *k != '\0'; k++, n++)
		if (!(islower((unsigned char)*k) || isdigit((unsigned char)*k) ||
		    *k == '_'))
			return 0;
	return n > 0 && n < KEY_MAX;
}

void
conf_set(const char *key, const char *value)
{
	size_t i;

	for (i = 0; i < nconf; i++)
		if (strcmp(conf[i].key, key) == 0) {
			free(conf[i].value);
			conf[i].value = strdup(value);
			return;
		}
	if (nconf == CONF_MAX)
		return;
	conf[nconf].key = strdup(key);
	conf[nconf].value = strdup(value);
	if (conf[nconf].key == NULL || conf[nconf].value == NULL)
		abort();
	nconf++;
}

void
conf_clear(void)
{
	while (nconf > 0) {
		nconf--;
		free(conf[nconf].key);
		free(conf[nconf].value);
	}
}

int
conf_load(const char *file, char *errbuf, size_t errlen)
{
	FILE *f;
	char line[4096], *p, *eq, *key;
	int lineno = 0, rc = DS_OK;

	if ((f = fopen(file, "r")) == NULL) {
		snprintf(errbuf, errlen, "%s: %s", file, strerror(errno));
		return DS_ERR;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			snprintf(errbuf, errlen, "%s:%d: line too long", file,
			    lineno);
			rc = DS_ERR;
			break;
		}
		p = trim(line);
		if (*p == '\0' || *p == '#')
			continue;
		if ((eq = strchr(p, '=')) == NULL) {
			snprintf(errbuf, errlen, "%s:%d: expected key=value",
			    file, lineno);
			rc = DS_ERR;
			break;
		}
		*eq = '\0';
		key = trim(p);
		if (!valid_key(key)) {
			snprintf(errbuf, errlen, "%s:%d: bad key '%s'", file,
			    lineno, key);
			rc = DS_ERR;
			break;
		}
		conf_set(key, trim(eq + 1));
	}
	fclose(f);
	return rc;
}

const char *
conf_get(const char *key)
{
	char env[KEY_MAX + 4] = "DS_";
	const char *v;
	size_t i;

	for (i = 0; key[i] != '\0' && i < KEY_MAX; i++)
		env[3 + i] = (char)toupper((unsigned char)key[i]);
	env[3 + i] = '\0';
	if ((v = getenv(env)) != NULL)
		return v;
	for (i = 0; i < nconf; i++)
		if (strcmp(conf[i].key, key) == 0)
			return conf[i].value;
	return NULL;
}

const char *
conf_str(const char *key, const char *def)
{
	const char *v = conf_get(key);

	return v != NULL && *v != '\0' ? v : def;
}

long long
conf_int(const char *key, long long def, long long min, long long max,
    const char **errstr)
{
	const char *v = conf_get(key);
	long long n;

	if (errstr != NULL)
		*errstr = NULL;
	if (v == NULL || *v == '\0')
		return def;
	if (parse_ll(v, min, max, &n) != 0) {
		if (errstr != NULL)
			*errstr = key;
		return def;
	}
	return n;
}

int
parse_ll(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long n;

	/* Digits with an optional '-': strtoll would also skip white space
	 * and take a '+', and then "+5" and "5" would be one value spelled
	 * two ways (a query's "%2B5", a path id, a claim). */
	if (s == NULL || !isdigit((unsigned char)(*s == '-' ? s[1] : s[0])))
		return -1;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || n < min || n > max)
		return -1;
	*out = n;
	return 0;
}
