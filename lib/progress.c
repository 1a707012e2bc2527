#include "progress.h"
#include "usage.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <unistd.h>

double progress_now(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

void progress_init(struct progress *p, const char *label, int enabled)
{
	p->label = label;
	p->enabled = enabled && isatty(2);
	p->bytes = 0;
	p->last = 0;
}

void progress_update(struct progress *p, uint64_t add_bytes)
{
	double t;
	p->bytes += add_bytes;
	if (!p->enabled)
		return;
	t = progress_now();
	if (t - p->last < 0.1)
		return;
	p->last = t;
	logmsg("%s: %llu kbytes\r", p->label, (unsigned long long)(p->bytes / 1024));
}

void progress_done(struct progress *p)
{
	if (p->enabled && p->last)
		logmsg("%s: %llu kbytes, done.\n", p->label,
		       (unsigned long long)(p->bytes / 1024));
}

int tty_width(void)
{
	const char *forced = getenv("BUP_TTY_WIDTH");
	struct winsize ws;
	if (forced && *forced)
		return atoi(forced);
	if (ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col)
		return ws.ws_col;
	return 70;
}
