/* datashare-catalog handlers, one file per resource. */
#ifndef CATALOG_H
#define CATALOG_H

/* agencies.c */
void	agencies_list(struct http_req *);
void	agency_create(struct http_req *);
void	agency_show(struct http_req *);
void	agency_update(struct http_req *);

#endif
