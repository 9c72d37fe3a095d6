/* util.c - the pure helpers of util.h: errno and open-flag names, mode and
 * time formatting, UTF-8 validation, base64, human sizes, lexical paths.
 * Owns no state and allocates nothing: every result goes into a buffer the
 * caller passes, or is a static string.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* O_DIRECT, O_NOATIME, O_PATH, O_TMPFILE */
#endif

#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Every errno of Linux <errno.h>, E2BIG..EHWPOISON, by symbolic constant so
 * the numbering follows the architecture. Aliases (EWOULDBLOCK = EAGAIN,
 * EDEADLOCK = EDEADLK, ENOTSUP = EOPNOTSUPP) are left out: a designated
 * initializer given twice would silently pick one, and the value's
 * canonical name is the one the kernel headers list first. */
#define ADI_ERRNO_LIST(X) \
	X(EPERM) X(ENOENT) X(ESRCH) X(EINTR) X(EIO) X(ENXIO) X(E2BIG) \
	X(ENOEXEC) X(EBADF) X(ECHILD) X(EAGAIN) X(ENOMEM) X(EACCES) X(EFAULT) \
	X(ENOTBLK) X(EBUSY) X(EEXIST) X(EXDEV) X(ENODEV) X(ENOTDIR) X(EISDIR) \
	X(EINVAL) X(ENFILE) X(EMFILE) X(ENOTTY) X(ETXTBSY) X(EFBIG) X(ENOSPC) \
	X(ESPIPE) X(EROFS) X(EMLINK) X(EPIPE) X(EDOM) X(ERANGE) X(EDEADLK) \
	X(ENAMETOOLONG) X(ENOLCK) X(ENOSYS) X(ENOTEMPTY) X(ELOOP) X(ENOMSG) \
	X(EIDRM) X(ECHRNG) X(EL2NSYNC) X(EL3HLT) X(EL3RST) X(ELNRNG) \
	X(EUNATCH) X(ENOCSI) X(EL2HLT) X(EBADE) X(EBADR) X(EXFULL) X(ENOANO) \
	X(EBADRQC) X(EBADSLT) X(EBFONT) X(ENOSTR) X(ENODATA) X(ETIME) \
	X(ENOSR) X(ENONET) X(ENOPKG) X(EREMOTE) X(ENOLINK) X(EADV) X(ESRMNT) \
	X(ECOMM) X(EPROTO) X(EMULTIHOP) X(EDOTDOT) X(EBADMSG) X(EOVERFLOW) \
	X(ENOTUNIQ) X(EBADFD) X(EREMCHG) X(ELIBACC) X(ELIBBAD) X(ELIBSCN) \
	X(ELIBMAX) X(ELIBEXEC) X(EILSEQ) X(ERESTART) X(ESTRPIPE) X(EUSERS) \
	X(ENOTSOCK) X(EDESTADDRREQ) X(EMSGSIZE) X(EPROTOTYPE) X(ENOPROTOOPT) \
	X(EPROTONOSUPPORT) X(ESOCKTNOSUPPORT) X(EOPNOTSUPP) X(EPFNOSUPPORT) \
	X(EAFNOSUPPORT) X(EADDRINUSE) X(EADDRNOTAVAIL) X(ENETDOWN) \
	X(ENETUNREACH) X(ENETRESET) X(ECONNABORTED) X(ECONNRESET) X(ENOBUFS) \
	X(EISCONN) X(ENOTCONN) X(ESHUTDOWN) X(ETOOMANYREFS) X(ETIMEDOUT) \
	X(ECONNREFUSED) X(EHOSTDOWN) X(EHOSTUNREACH) X(EALREADY) \
	X(EINPROGRESS) X(ESTALE) X(EUCLEAN) X(ENOTNAM) X(ENAVAIL) X(EISNAM) \
	X(EREMOTEIO) X(EDQUOT) X(ENOMEDIUM) X(EMEDIUMTYPE) X(ECANCELED) \
	X(ENOKEY) X(EKEYEXPIRED) X(EKEYREVOKED) X(EKEYREJECTED) \
	X(EOWNERDEAD) X(ENOTRECOVERABLE) X(ERFKILL) X(EHWPOISON)

#define ADI_ERRNO_ENTRY(e) [e] = #e,
static const char *const adi_errno_names[] = { ADI_ERRNO_LIST(ADI_ERRNO_ENTRY) };

/* Kernel-internal codes (include/linux/errno.h) never reach user space
 * through libc, but a sys_exit tracepoint sees the raw return value, e.g.
 * -ERESTARTSYS when a signal interrupts a blocking call. */
#define ADI_KERRNO_BASE 512
static const char *const adi_kerrno_names[] = {
	"ERESTARTSYS", "ERESTARTNOINTR", "ERESTARTNOHAND", "ENOIOCTLCMD",
	"ERESTART_RESTARTBLOCK", "EPROBE_DEFER", "EOPENSTALE", "ENOPARAM",
	NULL /* 520 is unused */, "EBADHANDLE", "ENOTSYNC", "EBADCOOKIE",
	"ENOTSUPP", "ETOOSMALL", "ESERVERFAULT", "EBADTYPE", "EJUKEBOX",
	"EIOCBQUEUED", "ERECALLCONFLICT",
};

#define ADI_COUNT(a) (sizeof(a) / sizeof((a)[0]))

const char *adi_errno_name(int err, char *buf, size_t bufsz)
{
	/* Widen before negating: -INT_MIN does not fit an int. */
	long long e = err < 0 ? -(long long)err : err;

	if (e > 0 && (unsigned long long)e < ADI_COUNT(adi_errno_names) &&
	    adi_errno_names[e])
		return adi_errno_names[e];
	if (e >= ADI_KERRNO_BASE &&
	    (unsigned long long)(e - ADI_KERRNO_BASE) < ADI_COUNT(adi_kerrno_names) &&
	    adi_kerrno_names[e - ADI_KERRNO_BASE])
		return adi_kerrno_names[e - ADI_KERRNO_BASE];
	if (!buf || bufsz == 0)
		return "E?";
	snprintf(buf, bufsz, "E%lld", e);
	return buf;
}

/* The kernel's O_LARGEFILE: LP64 glibc defines it as 0 because 64-bit
 * processes never need it, yet 32-bit processes pass the bit and the
 * profiler sees their raw flags. */
#if defined(O_LARGEFILE) && O_LARGEFILE != 0
#define ADI_O_LARGEFILE O_LARGEFILE
#elif defined(__x86_64__) || defined(__i386__)
#define ADI_O_LARGEFILE 0100000
#elif defined(__aarch64__) || defined(__arm__)
#define ADI_O_LARGEFILE 0400000
#else
#define ADI_O_LARGEFILE 0
#endif

struct adi_flag_name {
	uint32_t mask;
	const char *name;
	uint32_t hidden_by; /* not printed when these bits are all set */
};

/* The order of util.h. O_DSYNC and O_DIRECTORY are parts of O_SYNC and
 * O_TMPFILE, so they are hidden when the composite flag is printed. */
static const struct adi_flag_name adi_open_flags[] = {
	{ O_CREAT, "O_CREAT", 0 },
	{ O_EXCL, "O_EXCL", 0 },
	{ O_NOCTTY, "O_NOCTTY", 0 },
	{ O_TRUNC, "O_TRUNC", 0 },
	{ O_APPEND, "O_APPEND", 0 },
	{ O_NONBLOCK, "O_NONBLOCK", 0 },
	{ O_DSYNC, "O_DSYNC", O_SYNC },
	{ O_ASYNC, "O_ASYNC", 0 },
	{ O_DIRECT, "O_DIRECT", 0 },
	{ ADI_O_LARGEFILE, "O_LARGEFILE", 0 },
	{ O_DIRECTORY, "O_DIRECTORY", O_TMPFILE },
	{ O_NOFOLLOW, "O_NOFOLLOW", 0 },
	{ O_NOATIME, "O_NOATIME", 0 },
	{ O_CLOEXEC, "O_CLOEXEC", 0 },
	{ O_SYNC, "O_SYNC", 0 },
	{ O_PATH, "O_PATH", 0 },
	{ O_TMPFILE, "O_TMPFILE", 0 },
};

/* Append s at *len, keeping buf NUL terminated; silently truncates. */
static void adi_buf_cat(char *buf, size_t bufsz, size_t *len, const char *s)
{
	size_t n = strlen(s);

	if (*len + 1 >= bufsz)
		return;
	if (n > bufsz - 1 - *len)
		n = bufsz - 1 - *len;
	memcpy(buf + *len, s, n);
	*len += n;
	buf[*len] = '\0';
}

char *adi_open_flags_str(uint32_t flags, char *buf, size_t bufsz)
{
	static const char *const acc[] = { "O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE" };
	uint32_t shown = O_ACCMODE;
	size_t len = 0;
	char hex[16];

	if (!buf || bufsz == 0)
		return buf;
	buf[0] = '\0';
	adi_buf_cat(buf, bufsz, &len, acc[flags & O_ACCMODE]);
	for (size_t i = 0; i < ADI_COUNT(adi_open_flags); i++) {
		const struct adi_flag_name *f = &adi_open_flags[i];

		if (f->mask == 0 || (flags & f->mask) != f->mask)
			continue;
		if (f->hidden_by && (flags & f->hidden_by) == f->hidden_by)
			continue;
		adi_buf_cat(buf, bufsz, &len, "|");
		adi_buf_cat(buf, bufsz, &len, f->name);
		shown |= f->mask;
	}
	if (flags & ~shown) {
		snprintf(hex, sizeof(hex), "|0x%" PRIx32, flags & ~shown);
		adi_buf_cat(buf, bufsz, &len, hex);
	}
	return buf;
}

/* "00" to "99": integers are written two digits per division */
static const char dec_pairs[] = "00010203040506070809101112131415161718192021222324"
				"25262728293031323334353637383940414243444546474849"
				"50515253545556575859606162636465666768697071727374"
				"75767778798081828384858687888990919293949596979899";

char *adi_u64_dec(char *p, uint64_t v)
{
	/* two digits per division, written in place from the end (through a
	 * scratch array the variable-length copy stalled on its stores):
	 * every event writes a dozen integers */
	static const uint64_t pow10[20] = {
		1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
		100000000ull, 1000000000ull, 10000000000ull, 100000000000ull,
		1000000000000ull, 10000000000000ull, 100000000000000ull,
		1000000000000000ull, 10000000000000000ull, 100000000000000000ull,
		1000000000000000000ull, 10000000000000000000ull,
	};
	/* the digit count from the bit length: log10(2) ~ 1233 / 4096 */
	unsigned t = (unsigned)(64 - __builtin_clzll(v | 1)) * 1233 >> 12;
	unsigned n = t + 1 - ((v | 1) < pow10[t]); /* v | 1: 0 has one digit */
	char *end, *q;

	end = q = p + n;
	while (v >= 100) {
		unsigned r = (unsigned)(v % 100);

		v /= 100;
		q -= 2;
		q[0] = dec_pairs[2 * r];
		q[1] = dec_pairs[2 * r + 1];
	}
	if (v >= 10) {
		q[-2] = dec_pairs[2 * v];
		q[-1] = dec_pairs[2 * v + 1];
	} else {
		q[-1] = (char)('0' + v);
	}
	return end;
}

char *adi_u64_dec_memo(struct adi_dec_memo *memo, char *p, uint64_t v)
{
	if (!memo)
		return adi_u64_dec(p, v);
	if (!memo->set || (v != memo->v && v != memo->v + 1) || memo->v == UINT64_MAX) {
		memo->n = (uint8_t)(adi_u64_dec(memo->s, v) - memo->s);
		memo->v = v;
		memo->set = true;
	} else if (v != memo->v) {
		/* one more: the last digit goes up, a 9 carries */
		int i = memo->n - 1;

		while (i >= 0 && memo->s[i] == '9')
			memo->s[i--] = '0';
		if (i < 0) { /* 99 -> 100: a digit more */
			memmove(memo->s + 1, memo->s, memo->n);
			memo->s[0] = '1';
			memo->n++;
		} else {
			memo->s[i]++;
		}
		memo->v = v;
	}
	/* all 20: a constant copy is two moves, a call to memcpy is not (p
	 * has room for 20 digits, as adi_u64_dec needs) */
	memcpy(p, memo->s, sizeof(memo->s));
	return p + memo->n;
}

char *adi_mode_str(uint32_t mode, char *buf, size_t bufsz)
{
	/* by hand: every file event has a mode */
	if (buf && bufsz >= 5) {
		unsigned m = (unsigned)(mode & 07777);

		buf[0] = (char)('0' + (m >> 9 & 7));
		buf[1] = (char)('0' + (m >> 6 & 7));
		buf[2] = (char)('0' + (m >> 3 & 7));
		buf[3] = (char)('0' + (m & 7));
		buf[4] = '\0';
	} else if (buf && bufsz) {
		snprintf(buf, bufsz, "%04o", (unsigned)(mode & 07777));
	}
	return buf;
}

size_t adi_utf8_seq(const uint8_t *b, size_t n)
{
	size_t len;

	if (!n)
		return 0;
	if (b[0] < 0x80)
		return 1;
	if (b[0] >= 0xc2 && b[0] <= 0xdf)
		len = 2;
	else if (b[0] >= 0xe0 && b[0] <= 0xef)
		len = 3;
	else if (b[0] >= 0xf0 && b[0] <= 0xf4)
		len = 4;
	else
		return 0;
	return len <= n && adi_utf8_valid(b, len) ? len : 0;
}

/* The UTC calendar fields of sec (>= 0) by arithmetic: gmtime_r takes a
 * lock-free but slow path through the C library's tz code, once per event.
 * Days to civil date: H. Hinnant's algorithm (proleptic Gregorian, eras of
 * 400 years). */
static void utc_fields(uint64_t sec, struct tm *tm)
{
	uint64_t days = sec / 86400, rem = sec % 86400;
	uint64_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
	uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
	uint64_t m = mp < 10 ? mp + 3 : mp - 9;

	memset(tm, 0, sizeof(*tm));
	tm->tm_year = (int)(yoe + era * 400 + (m <= 2)) - 1900;
	tm->tm_mon = (int)m - 1;
	tm->tm_mday = (int)(doy - (153 * mp + 2) / 5 + 1);
	tm->tm_hour = (int)(rem / 3600);
	tm->tm_min = (int)(rem / 60 % 60);
	tm->tm_sec = (int)(rem % 60);
}

/* v < 10^9 as nine digits, leading zeros kept (nanoseconds). */
static void put_dec9(char *p, uint32_t v)
{
	uint32_t lo = v % 100000000u;

	p[0] = (char)('0' + v / 100000000u);
	for (int i = 7; i > 0; i -= 2) {
		uint32_t r = lo % 100;

		lo /= 100;
		p[i] = dec_pairs[2 * r];
		p[i + 1] = dec_pairs[2 * r + 1];
	}
}

/* ".nnnnnnnnnZ" and the NUL at p: the part of a timestamp below the second. */
static void put_frac_ns(char *p, uint64_t ns)
{
	*p++ = '.';
	put_dec9(p, (uint32_t)ns);
	p[9] = 'Z';
	p[10] = '\0';
}

char *adi_rfc3339(uint64_t ts_ns, char *buf, size_t bufsz)
{
	struct tm tm;

	if (!buf || bufsz == 0)
		return buf;
	utc_fields(ts_ns / 1000000000u, &tm);
	if (bufsz < 31 || tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999) {
		snprintf(buf, bufsz, "%04d-%02d-%02dT%02d:%02d:%02d.%09" PRIu64 "Z",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
			 tm.tm_min, tm.tm_sec, ts_ns % 1000000000u);
		return buf;
	}
	/* by hand: every event has one, and snprintf dominated */
	{
		unsigned v[6] = { (unsigned)tm.tm_year + 1900, (unsigned)tm.tm_mon + 1,
				  (unsigned)tm.tm_mday, (unsigned)tm.tm_hour,
				  (unsigned)tm.tm_min, (unsigned)tm.tm_sec };
		char *p = buf;

		p[0] = (char)('0' + v[0] / 1000);
		p[1] = (char)('0' + v[0] / 100 % 10);
		p[2] = (char)('0' + v[0] / 10 % 10);
		p[3] = (char)('0' + v[0] % 10);
		p += 4;
		for (int i = 1; i < 6; i++) {
			*p++ = "--T::"[i - 1];
			*p++ = (char)('0' + v[i] / 10);
			*p++ = (char)('0' + v[i] % 10);
		}
		put_frac_ns(p, ts_ns % 1000000000u);
	}
	return buf;
}

char *adi_rfc3339_memo(struct adi_rfc3339_memo *memo, uint64_t ts_ns, char *buf, size_t bufsz)
{
	uint64_t sec = ts_ns / 1000000000u;

	if (!memo || bufsz < 31 || !memo->set || memo->sec != sec) {
		adi_rfc3339(ts_ns, buf, bufsz);
		if (memo && bufsz >= 31) {
			memcpy(memo->head, buf, 19);
			memo->sec = sec;
			memo->set = true;
		}
		return buf;
	}
	memcpy(buf, memo->head, 19);
	put_frac_ns(buf + 19, ts_ns % 1000000000u);
	return buf;
}

char *adi_ts_dec_memo(struct adi_rfc3339_memo *memo, char *p, uint64_t ts_ns, const char *ns9)
{
	uint64_t sec = ts_ns / 1000000000u;
	uint32_t ns = (uint32_t)(ts_ns % 1000000000u);

	if (!memo || sec == 0)
		return adi_u64_dec(p, ts_ns); /* sec 0: no leading digits to keep */
	if (memo->dec_sec != sec) { /* a new memo's 0 is no second here */
		memo->dec_len = (uint8_t)(adi_u64_dec(memo->dec, sec) - memo->dec);
		memo->dec_sec = sec;
	}
	memcpy(p, memo->dec, memo->dec_len);
	p += memo->dec_len;
	if (ns9)
		memcpy(p, ns9, 9);
	else
		put_dec9(p, ns); /* nine digits, leading zeros kept */
	return p + 9;
}

char *adi_clock_str(uint64_t ts_ns, char *buf, size_t bufsz)
{
	time_t sec = (time_t)(ts_ns / 1000000000u);
	struct tm tm;

	if (!buf || bufsz == 0)
		return buf;
	if (!localtime_r(&sec, &tm)) {
		buf[0] = '\0';
		return buf;
	}
	/* Truncated, not rounded: rounding could print 60 seconds. */
	snprintf(buf, bufsz, "%02d:%02d:%02d.%06" PRIu64, tm.tm_hour, tm.tm_min,
		 tm.tm_sec, (ts_ns % 1000000000u) / 1000u);
	return buf;
}

bool adi_utf8_valid(const uint8_t *b, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t c = b[i];
		size_t len;
		uint32_t cp, min;

		/* ASCII 8 bytes at a time: payloads are mostly text */
		if (n - i >= 8) {
			uint64_t w;

			memcpy(&w, b + i, 8);
			if (!(w & 0x8080808080808080ull)) {
				i += 8;
				continue;
			}
		}
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2; cp = c & 0x1f; min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3; cp = c & 0x0f; min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4; cp = c & 0x07; min = 0x10000;
		} else {
			return false; /* continuation byte, 0xc0/0xc1 or > 0xf4 */
		}
		if (n - i < len)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((b[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (b[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

size_t adi_base64_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

size_t adi_base64_encode(const uint8_t *b, size_t n, char *out)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0, i = 0;

	for (; n - i >= 3; i += 3) {
		uint32_t v = (uint32_t)b[i] << 16 | (uint32_t)b[i + 1] << 8 | b[i + 2];

		out[o++] = tab[v >> 18];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = tab[(v >> 6) & 63];
		out[o++] = tab[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)b[i] << 16;

		out[o++] = tab[v >> 18];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = '=';
		out[o++] = '=';
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)b[i] << 16 | (uint32_t)b[i + 1] << 8;

		out[o++] = tab[v >> 18];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = tab[(v >> 6) & 63];
		out[o++] = '=';
	}
	out[o] = '\0';
	return o;
}

char *adi_size_str(uint64_t bytes, char *buf, size_t bufsz)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	size_t u = 0;
	double v;

	if (!buf || bufsz == 0)
		return buf;
	if (bytes < 1024) {
		snprintf(buf, bufsz, "%" PRIu64 " B", bytes);
		return buf;
	}
	v = (double)bytes / 1024.0;
	/* Move up a unit before "%.1f" would round to "1024.0". */
	while (v >= 1023.95 && u + 1 < ADI_COUNT(units)) {
		v /= 1024.0;
		u++;
	}
	snprintf(buf, bufsz, "%.1f %s", v, units[u]);
	return buf;
}

/* Apply the components of p to the normalised path out[0..*len) (no
 * trailing "/", "" meaning the root). Components that did not fit are
 * counted in *over rather than failing at once, so that a later ".." can
 * still bring the result back within bufsz. */
static void adi_path_apply(const char *p, char *out, size_t bufsz, size_t *len,
			   size_t *over)
{
	while (*p) {
		const char *c;
		size_t clen;

		while (*p == '/')
			p++;
		c = p;
		while (*p && *p != '/')
			p++;
		clen = (size_t)(p - c);
		if (clen == 0 || (clen == 1 && c[0] == '.'))
			continue;
		if (clen == 2 && c[0] == '.' && c[1] == '.') {
			if (*over) {
				(*over)--;
			} else {
				while (*len > 0 && out[*len - 1] != '/')
					(*len)--;
				if (*len > 0)
					(*len)--; /* the "/" itself; never above the root */
			}
			continue;
		}
		if (*over || *len + 1 + clen + 1 > bufsz) {
			(*over)++;
			continue;
		}
		out[(*len)++] = '/';
		memcpy(out + *len, c, clen);
		*len += clen;
	}
}

int adi_path_join(const char *base, const char *rel, char *out, size_t bufsz)
{
	size_t len = 0, over = 0;

	if (!rel)
		return -EINVAL;
	if (!out || bufsz < 2)
		return -ENAMETOOLONG;
	/* A relative or missing base is taken as rooted at "/": the result is
	 * always absolute. */
	if (rel[0] != '/' && base)
		adi_path_apply(base, out, bufsz, &len, &over);
	adi_path_apply(rel, out, bufsz, &len, &over);
	if (over) {
		out[0] = '\0';
		return -ENAMETOOLONG;
	}
	if (len == 0)
		out[len++] = '/';
	out[len] = '\0';
	return 0;
}

static bool adi_is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

bool adi_container_id(const char *cgpath, char out[65])
{
	size_t end = cgpath ? strlen(cgpath) : 0;

	/* components from the last: "/machine.slice/libpod-<id>.scope/container"
	 * names the container one level up */
	while (end > 0) {
		size_t start = end;

		while (start > 0 && cgpath[start - 1] != '/')
			start--;
		if (!memmem(cgpath + start, end - start, "conmon", 6)) {
			for (size_t i = start; i + 64 <= end; i++) {
				size_t k = 0;

				if (i > start && adi_is_hex(cgpath[i - 1]))
					continue;
				while (k < 64 && adi_is_hex(cgpath[i + k]))
					k++;
				if (k == 64 && (i + 64 == end || !adi_is_hex(cgpath[i + 64]))) {
					memcpy(out, cgpath + i, 64);
					out[64] = '\0';
					return true;
				}
			}
		}
		end = start > 0 ? start - 1 : 0;
	}
	out[0] = '\0';
	return false;
}

bool adi_bytes_append(uint8_t **buf, size_t *len, size_t *cap, const uint8_t *b, size_t n)
{
	if (!n)
		return true;
	if (*len + n > *cap) {
		size_t c = *cap ? *cap : 256;
		uint8_t *p;

		while (c < *len + n)
			c *= 2;
		p = realloc(*buf, c);
		if (!p)
			return false;
		*buf = p;
		*cap = c;
	}
	memcpy(*buf + *len, b, n);
	*len += n;
	return true;
}

uint64_t adi_now_mono(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

uint64_t adi_now_wall(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}
