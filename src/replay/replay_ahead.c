/* uvmsim — decoding a mapped trace file ahead of the replayer, on other threads.
 *
 * Decoding Lackey text costs about twice what replaying the decoded records costs, and
 * the two need not wait for each other: the file is read-only and mapped, and the
 * decoder (replay_lackey.h) is a pure function of its bytes.  So the file is cut into
 * segments of whole lines that helper threads decode into arrays of records (drecs),
 * and the replayer's thread replays them strictly in file order.  The simulator itself
 * runs on the replayer's thread only: the helpers touch nothing but the mapped bytes and
 * their own segment's array, so the outcome is the same whatever the threads do.
 *
 * A ring of slots bounds the work done ahead: segment k decodes into slot k % nslots,
 * and only once segment k - nslots has been replayed.  When the segment the replayer
 * needs is not ready, it decodes the next unclaimed one itself rather than wait (on a
 * two-core host that is what keeps both cores busy), and waits only when there is none. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include "replay_internal.h"
#include "replay_lackey.h"

enum { RP_SEG_FREE, RP_SEG_BUSY, RP_SEG_READY };

/* Slots per thread (the replayer's included): enough that a helper finishing a segment
 * always finds a free one while the replayer works through the others. */
#define RP_SLOTS_PER_THREAD 4

/* Invariants (under mu): segments [0, claim) are claimed, each ever claimed once;
 * head <= claim; segment k is claimable iff claim == k < nseg and k < head + nslots, so
 * slot k % nslots is then free; slot[head % nslots] holds segment head once READY. */
struct rp_ahead {
    const unsigned char *map;
    uint64_t len, chunk, nseg;
    unsigned nslots;
    struct rp_seg *slot;
    pthread_mutex_t mu;
    pthread_cond_t cv;        /* signalled: a segment became ready, a slot free, stop */
    uint64_t claim;           /* the next segment to decode */
    uint64_t head;            /* the segment the replayer takes next */
    bool stop;
    unsigned nth;             /* helpers running */
    pthread_t th[];
};

/* The first byte of segment k: the first line start at or after k * chunk, or where a
 * line already longer than any accepted would pass UVMSIM_REPLAY_MAX_LINE (the search
 * for a newline stops there, so no segment scans a huge line to its end). */
static uint64_t rp_seg_start(const struct rp_ahead *a, uint64_t k)
{
    if (k == 0)
        return 0;
    uint64_t x = k * a->chunk;
    if (x >= a->len)
        return a->len;
    uint64_t lim = a->len - x > UVMSIM_REPLAY_MAX_LINE ? x + UVMSIM_REPLAY_MAX_LINE : a->len;
    const unsigned char *nl = memchr(a->map + x - 1, '\n', (size_t)(lim - (x - 1)));
    return nl != NULL ? (uint64_t)(nl - a->map) + 1 : lim;
}

/* Close a run of lines for the careful parser [*from, to) into d (if it is not empty). */
static size_t rp_close_lines(struct rp_drec *d, size_t n, uint64_t *from, uint64_t to)
{
    if (*from != UINT64_MAX && to > *from)
        d[n++] = (struct rp_drec){*from, (to - *from) | (uint64_t)RP_D_LINES << RP_D_SHIFT};
    *from = UINT64_MAX;
    return n;
}

/* Decode segment s: Lackey's own line shapes into records, runs of other lines into one
 * item each for the careful parser, the bytes after the last newline into a tail. */
static void rp_decode(const struct rp_ahead *a, struct rp_seg *s)
{
    const unsigned char *map = a->map, *p = map + s->start, *e = map + s->end;
    struct rp_drec *d = s->d;
    size_t n = 0;
    uint64_t from = UINT64_MAX;               /* the open run of careful lines, if any */
#if RP_FAST_PARSE
    const unsigned char *end = map + a->len;
    /* the fast decoder reads 32 bytes past a line's start: blocks with RP_LOOKAHEAD
     * bytes of the mapping left (the rest goes to the careful parser) */
    for (const unsigned char *blk = p; blk < e && end - blk >= RP_LOOKAHEAD; blk += 64) {
        uint64_t m = rp_nl_mask(blk);
        if (e - blk < 64)
            m &= (1ull << (e - blk)) - 1;
        for (; m != 0; m &= m - 1) {
            const unsigned char *nl = blk + __builtin_ctzll(m);
            uint64_t addr = 0, size = 0;
            unsigned k = rp_fast_line_1(p, nl, &addr, &size);
            if (k == 0)
                k = rp_fast_line(p, nl, &addr, &size);
            if (k != 0) {
                n = rp_close_lines(d, n, &from, (uint64_t)(p - map));
                d[n++] = (struct rp_drec){addr, size | (uint64_t)(k - 1u) << RP_D_SHIFT};
            } else if (from == UINT64_MAX) {
                from = (uint64_t)(p - map);
            }
            p = nl + 1;
        }
    }
#endif
    /* what is left: whole lines, then perhaps bytes with no newline */
    const unsigned char *last = e;
    while (last > p && last[-1] != '\n')
        last--;
    if (last > p && from == UINT64_MAX)
        from = (uint64_t)(p - map);
    n = rp_close_lines(d, n, &from, (uint64_t)(last - map));
    if (e > last)
        d[n++] = (struct rp_drec){(uint64_t)(last - map), (uint64_t)(e - last) | (uint64_t)RP_D_TAIL << RP_D_SHIFT};
    s->nd = n;
    s->next = 0;
}

/* Under mu: claim the next segment if its slot is free; NULL if none may be claimed. */
static struct rp_seg *rp_claim(struct rp_ahead *a)
{
    if (a->stop || a->claim >= a->nseg || a->claim >= a->head + a->nslots)
        return NULL;
    uint64_t k = a->claim++;
    struct rp_seg *s = &a->slot[k % a->nslots];
    s->k = k;
    s->state = RP_SEG_BUSY;
    return s;
}

/* Decode a claimed segment outside the lock, then publish it (mu held on entry and exit). */
static void rp_decode_claimed(struct rp_ahead *a, struct rp_seg *s)
{
    pthread_mutex_unlock(&a->mu);
    s->start = rp_seg_start(a, s->k);
    s->end = rp_seg_start(a, s->k + 1);
    rp_decode(a, s);
    pthread_mutex_lock(&a->mu);
    s->state = RP_SEG_READY;
    pthread_cond_broadcast(&a->cv);
}

static void *rp_helper(void *arg)
{
    struct rp_ahead *a = arg;
    pthread_mutex_lock(&a->mu);
    while (!a->stop && a->claim < a->nseg) {
        struct rp_seg *s = rp_claim(a);
        if (s != NULL)
            rp_decode_claimed(a, s);
        else
            pthread_cond_wait(&a->cv, &a->mu);
    }
    pthread_mutex_unlock(&a->mu);
    return NULL;
}

int uvmsim_rp_ahead_start(const unsigned char *map, uint64_t len, uint64_t chunk, unsigned helpers,
                          struct rp_ahead **out)
{
    *out = NULL;
    struct rp_ahead *a = calloc(1, sizeof(*a) + helpers * sizeof(pthread_t));
    if (a == NULL)
        return UVMSIM_ENOHOST;
    a->map = map;
    a->len = len;
    a->chunk = chunk;
    a->nseg = len / chunk + (len % chunk != 0);
    a->nslots = RP_SLOTS_PER_THREAD * (helpers + 1u);
    a->slot = calloc(a->nslots, sizeof(*a->slot));
    if (a->slot == NULL) {
        free(a);
        return UVMSIM_ENOHOST;
    }
    /* a segment's records start at least 7 bytes apart ("I  0,1\n") and a run of other
     * lines between two of them is one item: at most 2 items per 7 bytes, and the ends */
    size_t cap = (size_t)(chunk / 3 + 16);
    for (unsigned i = 0; i < a->nslots; i++) {
        a->slot[i].cap = cap;
        if ((a->slot[i].d = malloc(cap * sizeof(struct rp_drec))) == NULL) {
            for (unsigned j = 0; j < i; j++)
                free(a->slot[j].d);
            free(a->slot);
            free(a);
            return UVMSIM_ENOHOST;
        }
    }
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->cv, NULL);
    /* helpers take no signals: they belong to whoever called us */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    for (unsigned i = 0; i < helpers && a->nseg > 1; i++) {
        if (pthread_create(&a->th[a->nth], NULL, rp_helper, a) != 0)
            break;                            /* fewer helpers: the caller decodes more */
        a->nth++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    *out = a;
    return UVMSIM_OK;
}

struct rp_seg *uvmsim_rp_ahead_next(struct rp_ahead *a)
{
    pthread_mutex_lock(&a->mu);
    struct rp_seg *s = NULL;
    while (a->head < a->nseg) {
        struct rp_seg *h = &a->slot[a->head % a->nslots];
        if (h->state == RP_SEG_READY && h->k == a->head) {
            s = h;
            break;
        }
        struct rp_seg *c = rp_claim(a);
        if (c != NULL)
            rp_decode_claimed(a, c);          /* help rather than wait */
        else
            pthread_cond_wait(&a->cv, &a->mu);
    }
    pthread_mutex_unlock(&a->mu);
    return s;
}

void uvmsim_rp_ahead_release(struct rp_ahead *a)
{
    pthread_mutex_lock(&a->mu);
    a->slot[a->head % a->nslots].state = RP_SEG_FREE;
    a->head++;
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
}

void uvmsim_rp_ahead_stop(struct rp_ahead *a)
{
    if (a == NULL)
        return;
    pthread_mutex_lock(&a->mu);
    a->stop = true;
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
    for (unsigned i = 0; i < a->nth; i++)
        pthread_join(a->th[i], NULL);
    pthread_cond_destroy(&a->cv);
    pthread_mutex_destroy(&a->mu);
    for (unsigned i = 0; i < a->nslots; i++)
        free(a->slot[i].d);
    free(a->slot);
    free(a);
}
