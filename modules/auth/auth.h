/* datashare-auth handlers, one file per resource. */
#ifndef AUTH_MODULE_H
#define AUTH_MODULE_H

/* token.c */
void	token_issue(struct http_req *);
void	me_show(struct http_req *);
void	keys_show(struct http_req *);
/* notifications.c */
void	notifications_list(struct http_req *);
void	notification_read(struct http_req *);
/* accounts.c */
void	accounts_list(struct http_req *);
void	account_create(struct http_req *);
void	account_show(struct http_req *);
void	account_disable(struct http_req *);
void	account_rotate(struct http_req *);

#endif
