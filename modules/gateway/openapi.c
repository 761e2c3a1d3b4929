/*
 * A service's OpenAPI document as the list of what may be called (issue
 * 18: "used to refuse calls to undeclared method+path pairs").
 *
 * Paths are the document's "paths" keys, relative to the service's
 * upstream URL (its "servers" are not read): "/records/{id}" matches
 * "/records/42" (a template segment matches one non-empty segment), and
 * the path item must hold the method in lower case ("head" is also
 * allowed where "get" is). A document that cannot be read declares
 * nothing: every call is refused, never waved through.
 */
#include <string.h>
#include <strings.h>

#include "ds.h"
#include "gateway.h"

/* Whether path matches template tpl, segment by segment. */
static bool
template_matches(const char *tpl, const char *path)
{
	while (*tpl != '\0' && *path != '\0') {
		if (*tpl == '{') {
			const char *close = strchr(tpl, '}');

			if (close == NULL || *path == '/')
				return false;
			while (*path != '\0' && *path != '/')
				path++;
			tpl = close + 1;
			continue;
		}
		if (*tpl++ != *path++)
			return false;
	}
	return *tpl == '\0' && *path == '\0';
}

static bool
item_has(json_object *item, const char *method)
{
	char lower[16];
	size_t i;

	for (i = 0; method[i] != '\0' && i < sizeof(lower) - 1; i++)
		lower[i] = (char)(method[i] >= 'A' && method[i] <= 'Z' ?
		    method[i] + 32 : method[i]);
	lower[i] = '\0';
	return json_object_object_get_ex(item, lower, NULL) ||
	    (strcmp(lower, "head") == 0 &&
	    json_object_object_get_ex(item, "get", NULL));
}

bool
openapi_declares(const char *doc, const char *method, const char *path)
{
	json_object *o = json_tokener_parse(doc), *paths;
	bool found = false;

	if (o != NULL && json_object_object_get_ex(o, "paths", &paths) &&
	    json_object_is_type(paths, json_type_object)) {
		json_object_object_foreach(paths, tpl, item) {
			if (template_matches(tpl, path) &&
			    json_object_is_type(item, json_type_object) &&
			    item_has(item, method)) {
				found = true;
				break;
			}
		}
	}
	json_object_put(o);
	return found;
}
