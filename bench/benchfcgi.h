/*
 * The pre-fork part shared by the limit programs (hello.c, pointselect.c):
 * open the FastCGI socket, fork the workers, wait, and on SIGTERM or
 * SIGINT stop the workers this process started.
 */
#ifndef BENCHFCGI_H
#define BENCHFCGI_H

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcgiapp.h>

#define BENCH_MAX_WORKERS	64

static volatile sig_atomic_t bench_stop;

static void
bench_on_signal(int sig)
{
	(void)sig;
	bench_stop = 1;
}

static int
bench_prefork(const char *sock, int n, void (*serve)(int))
{
	pid_t pids[BENCH_MAX_WORKERS];
	struct sigaction sa;
	int fd, i;

	if (n < 1 || n > BENCH_MAX_WORKERS) {
		fprintf(stderr, "workers must be 1..%d\n", BENCH_MAX_WORKERS);
		return 2;
	}
	if (FCGX_Init() != 0)
		return 1;
	unlink(sock);
	if ((fd = FCGX_OpenSocket(sock, 128)) < 0) {
		fprintf(stderr, "cannot listen on %s: %s\n", sock,
		    strerror(errno));
		return 1;
	}
	chmod(sock, 0666);
	/* The handler is in place before any worker exists, so a stop that
	 * comes early still reaches every worker. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = bench_on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	for (i = 0; i < n; i++) {
		if ((pids[i] = fork()) == 0) {
			signal(SIGTERM, SIG_DFL);
			signal(SIGINT, SIG_DFL);
			signal(SIGPIPE, SIG_IGN);
			serve(fd);
		}
		if (pids[i] < 0) {
			perror("fork");
			n = i;
			bench_stop = 1;
			break;
		}
	}
	while (!bench_stop)
		sleep(1);
	for (i = 0; i < n; i++)
		kill(pids[i], SIGTERM);
	while (wait(NULL) > 0 || errno == EINTR)
		;
	unlink(sock);
	return 0;
}

#endif
