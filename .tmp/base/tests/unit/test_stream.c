/* test_stream.c - the stream machinery's own promises (core/stream.c):
 * the total buffer budget across connections, and its accounting going
 * back to zero. Decoder behaviour is tested per decoder (test_http1.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "core/stream.h"
#include "proto/http1.h"

/* An emitter that only counts the events. */
struct counter {
	struct adi_emit em;     /* first: on_event casts back to this */
	struct adi_jw w;
	int events;
};

static void on_event(struct adi_emit *em, const char *kind, uint64_t a, int64_t b)
{
	(void)kind;
	(void)a;
	(void)b;
	((struct counter *)em)->events++;
}

static void test_budget_refuses_and_balances(void **state)
{
	struct adi_proto_cfg cfg = { .body_bytes = 64 };
	struct counter cnt = { .em = { .emit = on_event, .event = adi_emit_tree, .cfg = &cfg } };
	struct adi_emit *em = &cnt.em;
	struct adi_budget budget = { .max = 8192 };
	struct adi_pconn a, b;
	static uint8_t head[6000];
	const char *req = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
	const char *part = "GET /x HTTP/1.1\r\nHo";
	uint8_t two[64];

	adi_jw_init(&cnt.w);
	em->w = &cnt.w;

	(void)state;
	/* an unfinished header block: the decoder asks the engine to hold it */
	memcpy(head, "GET / HTTP/1.1\r\nX-Long: ", 24);
	memset(head + 24, 'a', sizeof(head) - 24);
	assert_int_equal(adi_pconn_init(&a, &adi_proto_http1, NULL), 0);
	assert_int_equal(adi_pconn_init(&b, &adi_proto_http1, NULL), 0);
	a.budget = b.budget = &budget;

	adi_pconn_feed(&a, &cfg, 0, 0, head, 3000, 1, em);
	assert_int_equal(budget.used, 4096);        /* first buffer */
	adi_pconn_feed(&a, &cfg, 0, 3000, head + 3000, 3000, 2, em);
	assert_int_equal(budget.used, 8192);        /* grown to 8 KiB: at the cap */
	assert_int_equal(budget.refused, 0);
	/* a second connection that must hold bytes (a header block cut
	 * short) cannot get a buffer now: they are refused, counted, and
	 * become a gap for its decoder */
	adi_pconn_feed(&b, &cfg, 0, 0, (const uint8_t *)part, strlen(part), 3, em);
	assert_int_equal(budget.refused, strlen(part));
	assert_int_equal(budget.used, 8192);
	/* a chunk that decodes whole needs no buffer (it is parsed where it
	 * lies): after the gap, b resyncs onto the request; what the chunk
	 * leaves unfinished must be held, and is refused again */
	memcpy(two, req, strlen(req));
	memcpy(two + strlen(req), part, strlen(part));
	adi_pconn_feed(&b, &cfg, 0, strlen(part), two, strlen(req) + strlen(part), 4, em);
	assert_int_equal(budget.refused, 2 * strlen(part));
	assert_int_equal(budget.used, 8192);
	adi_pconn_finish(&a, &cfg, 5, em, NULL);
	assert_int_equal(budget.used, 0);            /* a's buffer returned */
	/* now b can hold bytes again */
	adi_pconn_feed(&b, &cfg, 0, 2 * strlen(part) + strlen(req), (const uint8_t *)part,
		       strlen(part), 6, em);
	assert_int_equal(budget.used, 4096);
	assert_int_equal(budget.refused, 2 * strlen(part));
	adi_pconn_finish(&b, &cfg, 7, em, NULL);
	adi_jw_fini(&cnt.w);
	assert_int_equal(budget.used, 0);
	assert_int_equal(cnt.events, 1);                 /* b's request, unanswered */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_budget_refuses_and_balances),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
