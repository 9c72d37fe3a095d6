/* tls_write.c - what one SSL_write of 64 bytes costs: a client and a server
 * SSL object in one process, joined by a socketpair (a self-signed EC
 * certificate made in memory), the client writing 64 B records that the
 * server drains between timed batches. Prints ns per SSL_write (the median
 * of the rounds) and, with -r, per SSL_read. bench/tls.sh runs it untraced,
 * under entry uprobes and under adi-profiler's chosen probe sites.
 *
 *   tls_write [-n WRITES] [-R ROUNDS] [-r] [-w SECONDS]
 *   -w: wait that long before measuring (lets a tracer attach: pid on stderr)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#define BATCH 32

static void die(const char *what)
{
	fprintf(stderr, "tls_write: %s\n", what);
	ERR_print_errors_fp(stderr);
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* A self-signed certificate for key, valid for a day. */
static X509 *self_signed(EVP_PKEY *key)
{
	X509 *x = X509_new();
	X509_NAME *n;

	if (!x)
		die("X509_new");
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, key);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"bench", -1, -1, 0);
	X509_set_issuer_name(x, n);
	if (!X509_sign(x, key, EVP_sha256()))
		die("X509_sign");
	return x;
}

/* Drive both handshakes on the non-blocking pair until both are done. */
static void handshake(SSL *c, SSL *s)
{
	int cd = 0, sd = 0;

	for (int i = 0; i < 1000 && !(cd && sd); i++) {
		int r;

		if (!cd) {
			r = SSL_connect(c);
			if (r == 1)
				cd = 1;
			else if (SSL_get_error(c, r) != SSL_ERROR_WANT_READ)
				die("SSL_connect");
		}
		if (!sd) {
			r = SSL_accept(s);
			if (r == 1)
				sd = 1;
			else if (SSL_get_error(s, r) != SSL_ERROR_WANT_READ)
				die("SSL_accept");
		}
	}
	if (!(cd && sd))
		die("handshake did not finish");
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	long n = 200000, rounds = 5, wait_s = 0;
	int reads = 0, sv[2], opt;
	unsigned char msg[64], buf[16384];
	uint64_t *wr, *rd;
	SSL_CTX *cctx, *sctx;
	EVP_PKEY *key;
	X509 *cert;
	SSL *c, *s;

	while ((opt = getopt(argc, argv, "n:R:rw:")) != -1) {
		switch (opt) {
		case 'n': n = atol(optarg); break;
		case 'R': rounds = atol(optarg); break;
		case 'r': reads = 1; break;
		case 'w': wait_s = atol(optarg); break;
		default:
			fprintf(stderr, "usage: tls_write [-n WRITES] [-R ROUNDS] [-r] [-w SECONDS]\n");
			return 2;
		}
	}
	if (n < BATCH || rounds < 1)
		die("-n must be >= 32 and -R >= 1");
	memset(msg, 'x', sizeof(msg));
	key = EVP_EC_gen("P-256");
	if (!key)
		die("EVP_EC_gen");
	cert = self_signed(key);
	sctx = SSL_CTX_new(TLS_server_method());
	cctx = SSL_CTX_new(TLS_client_method());
	if (!sctx || !cctx || !SSL_CTX_use_certificate(sctx, cert) ||
	    !SSL_CTX_use_PrivateKey(sctx, key))
		die("SSL_CTX");
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv))
		die(strerror(errno));
	c = SSL_new(cctx);
	s = SSL_new(sctx);
	SSL_set_fd(c, sv[0]);
	SSL_set_fd(s, sv[1]);
	handshake(c, s);
	if (wait_s) {
		fprintf(stderr, "tls_write: pid %d, measuring in %ld s\n", (int)getpid(), wait_s);
		sleep((unsigned)wait_s);
	}
	wr = calloc((size_t)rounds, sizeof(*wr));
	rd = calloc((size_t)rounds, sizeof(*rd));
	for (long r = 0; r < rounds; r++) {
		uint64_t tw = 0, tr = 0;

		for (long i = 0; i < n; i += BATCH) {
			uint64_t t0 = now_ns(), t1;

			for (int k = 0; k < BATCH; k++)
				if (SSL_write(c, msg, sizeof(msg)) != (int)sizeof(msg))
					die("SSL_write");
			t1 = now_ns();
			tw += t1 - t0;
			/* drain what the batch wrote: one SSL_read per record */
			for (int k = 0; k < BATCH; k++)
				if (SSL_read(s, buf, sizeof(buf)) != (int)sizeof(msg))
					die("SSL_read");
			tr += now_ns() - t1;
		}
		wr[r] = tw / (uint64_t)n;
		rd[r] = tr / (uint64_t)n;
	}
	qsort(wr, (size_t)rounds, sizeof(*wr), cmp_u64);
	qsort(rd, (size_t)rounds, sizeof(*rd), cmp_u64);
	printf("ssl_write_ns %llu min %llu\n", (unsigned long long)wr[rounds / 2],
	       (unsigned long long)wr[0]);
	if (reads)
		printf("ssl_read_ns %llu\n", (unsigned long long)rd[rounds / 2]);
	SSL_free(c);
	SSL_free(s);
	SSL_CTX_free(cctx);
	SSL_CTX_free(sctx);
	X509_free(cert);
	EVP_PKEY_free(key);
	free(wr);
	free(rd);
	return 0;
}
