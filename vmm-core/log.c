// SPDX-License-Identifier: GPL-2.0-or-later
/* Rate-limited guest-error log and host warnings. */
#include "log.h"

#include <time.h>

uint64_t vmm_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void vmm_guest_log_init(struct vmm_guest_log *log, FILE *out, unsigned burst)
{
	pthread_mutex_init(&log->lock, NULL);
	log->out = out;
	log->burst = burst ? burst : 20;
	log->window_start_ns = 0;
	log->in_window = 0;
	log->suppressed = 0;
	log->total = 0;
}

void vmm_guest_log_destroy(struct vmm_guest_log *log)
{
	pthread_mutex_destroy(&log->lock);
}

void vmm_guest_error(struct vmm_guest_log *log, const char *fmt, ...)
{
	uint64_t now = vmm_now_ns();
	va_list ap;

	pthread_mutex_lock(&log->lock);
	log->total++;
	if (now - log->window_start_ns >= 1000000000ull) {
		if (log->suppressed && log->out)
			fprintf(log->out, "vessel: guest error: %llu more suppressed\n",
				(unsigned long long)log->suppressed);
		log->window_start_ns = now;
		log->in_window = 0;
		log->suppressed = 0;
	}
	if (log->in_window >= log->burst) {
		log->suppressed++;
		pthread_mutex_unlock(&log->lock);
		return;
	}
	log->in_window++;
	if (log->out) {
		fputs("vessel: guest error: ", log->out);
		va_start(ap, fmt);
		vfprintf(log->out, fmt, ap);
		va_end(ap);
		fputc('\n', log->out);
		fflush(log->out);
	}
	pthread_mutex_unlock(&log->lock);
}

uint64_t vmm_guest_log_count(struct vmm_guest_log *log)
{
	uint64_t n;

	pthread_mutex_lock(&log->lock);
	n = log->total;
	pthread_mutex_unlock(&log->lock);
	return n;
}

void vmm_warn(const char *fmt, ...)
{
	va_list ap;

	fputs("vessel-helper: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
