/*
 * The bare FastCGI ceiling: a libfcgi accept loop that answers every
 * request with a fixed small JSON body, nothing else. GET /api/v1/health
 * of a module is compared with it (bench/README.md).
 *
 *   hello SOCKET WORKERS
 *
 * Forks WORKERS processes sharing the listening socket, like a module's
 * pre-fork master; stops them all on SIGTERM.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "benchfcgi.h"

static void
serve(int fd)
{
	FCGX_Request r;

	if (FCGX_InitRequest(&r, fd, 0) != 0)
		_exit(1);
	while (FCGX_Accept_r(&r) >= 0) {
		FCGX_PutS("Status: 200 OK\r\n"
		    "Content-Type: application/json; charset=utf-8\r\n"
		    "X-Request-Id: bench\r\n\r\n"
		    "{\"status\":\"ok\"}", r.out);
		FCGX_Finish_r(&r);
	}
	_exit(0);
}

int
main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: hello SOCKET WORKERS\n");
		return 2;
	}
	return bench_prefork(argv[1], atoi(argv[2]), serve);
}
