/* epoll_broadcast: the LIMIT chat server of bench/run_fanout.sh. Not a chat server anyone would
 * deploy: no protocol, no nicks, no rooms, no limits but one. It is the least work a server can
 * do for what chat_load checks, so that sockchatd's fan-out can be measured against what the
 * machine allows rather than only against other servers' designs.
 *
 * It forwards each complete line a client sends (everything up to the last '\n' received; the
 * partial tail waits per connection) to every OTHER connection, bytes unchanged. Lines never
 * interleave mid-line, each sender's lines reach each receiver in order, and every receiver sees
 * all lines in ONE order (chat_load's order check; ncat --chat and sockchatd give that too).
 *
 * Design, one thread per core (THREADS, default the online CPUs):
 *   - each thread has its own epoll and its own SO_REUSEPORT listening socket, so the kernel
 *     spreads the accepts; a connection is read, flushed and closed by the thread that accepted
 *     it (its owner) only, TCP_NODELAY, non-blocking;
 *   - one global mutex (g_lock) guards the table of connections and orders the fan-out: a chunk
 *     (every complete line of one read, so a read's lines cost one append per receiver, not one
 *     per line) is appended to every other connection's output buffer while it is held. No
 *     system call happens under it: appending is a memcpy under the receiver's own mutex;
 *   - a receiver that had nothing queued is put on its owner's pending list (woken by an
 *     eventfd if the owner is another thread); the owner then sends everything queued for it
 *     in one send(), outside g_lock, in parallel with the other threads. What the socket does
 *     not take waits for EPOLLOUT;
 *   - a receiver whose pending output would exceed 16 MiB is dropped, counted and reported on
 *     stderr (a limit server must not grow without end either);
 *   - buffers keep their capacity: no allocation per message once the run is under way.
 *
 * Usage: epoll_broadcast PORT [THREADS]     (listens on 127.0.0.1:PORT) */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define IN_CAP (64 * 1024) /* longest line a client may send */
#ifndef OUT_LIMIT /* a test build may lower it (-DOUT_LIMIT=65536u) to drop receivers soon */
#define OUT_LIMIT (16u * 1024u * 1024u) /* pending output beyond this drops the receiver */
#endif
#define WAKE_KEY ((void*)1)

struct worker;

struct conn {
    int fd;
    struct worker* owner;
    size_t index; /* in g_conns, under g_lock */
    /* Owner thread only. */
    char in[IN_CAP];
    size_t in_len;
    int out_armed; /* EPOLLOUT in the epoll set */
    /* Under mu. */
    pthread_mutex_t mu;
    char* out;
    size_t out_off, out_len, out_cap;
    int queued;   /* on owner's pending list */
    int overflow; /* would have exceeded OUT_LIMIT: to be dropped by the owner */
    int dead;     /* closed; freed when taken off the pending list */
    struct conn* next_pending;
};

struct worker {
    pthread_t thread;
    int epfd, listen_fd, wake_fd;
    int port;
    pthread_mutex_t mu; /* guards pending */
    struct conn* pending;
};

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static struct conn** g_conns; /* under g_lock */
static size_t g_count, g_cap; /* under g_lock */
static atomic_ulong g_dropped;

static void die(const char* what) {
    fprintf(stderr, "epoll_broadcast: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void set_events(struct conn* c, int want_out) {
    if (c->out_armed == want_out) return;
    struct epoll_event ev = {.events = EPOLLIN | (want_out ? EPOLLOUT : 0u), .data.ptr = c};
    if (epoll_ctl(c->owner->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0) c->out_armed = want_out;
}

/* Owner thread, c->mu held: sends what is queued. Returns -1 if the connection failed. */
static int flush_locked(struct conn* c) {
    while (c->out_off < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) break;
            return -1;
        }
        c->out_off += (size_t)n;
    }
    if (c->out_off == c->out_len) c->out_off = c->out_len = 0;
    set_events(c, c->out_len > 0);
    return 0;
}

/* Owner thread: off the table (so no fan-out reaches it any more), out of epoll, closed; freed
 * now or, if it is on the pending list, when the owner takes it off. */
static void close_conn(struct conn* c) {
    pthread_mutex_lock(&g_lock);
    size_t i = c->index;
    g_conns[i] = g_conns[--g_count];
    g_conns[i]->index = i;
    pthread_mutex_unlock(&g_lock);
    epoll_ctl(c->owner->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    pthread_mutex_lock(&c->mu);
    c->dead = 1;
    int queued = c->queued;
    pthread_mutex_unlock(&c->mu);
    if (!queued) {
        pthread_mutex_destroy(&c->mu);
        free(c->out);
        free(c);
    }
}

/* g_lock and c->mu held: appends the chunk to c's output. Returns 1 if c must be put on its
 * owner's pending list now. */
static int append_locked(struct conn* c, const char* data, size_t len) {
    if (c->dead || c->overflow) return 0;
    size_t pending = c->out_len - c->out_off;
    if (pending + len > OUT_LIMIT) {
        c->overflow = 1;
    } else {
        if (c->out_len + len > c->out_cap) {
            if (c->out_off > 0) { /* compact first */
                memmove(c->out, c->out + c->out_off, pending);
                c->out_off = 0;
                c->out_len = pending;
            }
            if (c->out_len + len > c->out_cap) {
                size_t cap = c->out_cap ? c->out_cap : 4096;
                while (cap < c->out_len + len) cap *= 2;
                char* p = realloc(c->out, cap);
                if (p == NULL) {
                    c->overflow = 1;
                    goto queue;
                }
                c->out = p;
                c->out_cap = cap;
            }
        }
        memcpy(c->out + c->out_len, data, len);
        c->out_len += len;
    }
queue:
    if (c->queued) return 0;
    c->queued = 1;
    return 1;
}

static void push_pending(struct worker* self, struct conn* c) {
    struct worker* w = c->owner;
    pthread_mutex_lock(&w->mu);
    int was_empty = w->pending == NULL;
    c->next_pending = w->pending;
    w->pending = c;
    pthread_mutex_unlock(&w->mu);
    if (was_empty && w != self) {
        uint64_t one = 1;
        ssize_t r = write(w->wake_fd, &one, sizeof one);
        (void)r; /* EAGAIN: the counter is already non-zero, the owner will wake */
    }
}

static void fan_out(struct worker* self, struct conn* from, const char* data, size_t len) {
    pthread_mutex_lock(&g_lock);
    for (size_t i = 0; i < g_count; ++i) {
        struct conn* c = g_conns[i];
        if (c == from) continue;
        pthread_mutex_lock(&c->mu);
        int push = append_locked(c, data, len);
        if (push) push_pending(self, c);
        pthread_mutex_unlock(&c->mu);
    }
    pthread_mutex_unlock(&g_lock);
}

static void drop_overflow(struct conn* c) {
    unsigned long n = atomic_fetch_add(&g_dropped, 1) + 1;
    fprintf(stderr,
            "epoll_broadcast: dropped a receiver (fd %d) with over %u bytes pending, %lu dropped "
            "so far\n",
            c->fd, OUT_LIMIT, n);
    close_conn(c);
}

/* Owner: sends to every connection other threads (or this one) queued output for. */
static void drain_pending(struct worker* w) {
    pthread_mutex_lock(&w->mu);
    struct conn* list = w->pending;
    w->pending = NULL;
    pthread_mutex_unlock(&w->mu);
    while (list != NULL) {
        struct conn* c = list;
        list = c->next_pending;
        pthread_mutex_lock(&c->mu);
        c->queued = 0;
        if (c->dead) {
            pthread_mutex_unlock(&c->mu);
            pthread_mutex_destroy(&c->mu);
            free(c->out);
            free(c);
            continue;
        }
        int overflow = c->overflow;
        int failed = overflow ? 0 : flush_locked(c);
        pthread_mutex_unlock(&c->mu);
        if (overflow)
            drop_overflow(c);
        else if (failed)
            close_conn(c);
    }
}

static void on_readable(struct worker* w, struct conn* c) {
    ssize_t n = recv(c->fd, c->in + c->in_len, IN_CAP - c->in_len, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0) {
        close_conn(c);
        return;
    }
    size_t old = c->in_len;
    c->in_len += (size_t)n;
    /* The last newline: only in the new bytes (the old tail had none). */
    size_t end = 0;
    for (size_t k = c->in_len; k > old; --k)
        if (c->in[k - 1] == '\n') {
            end = k;
            break;
        }
    if (end == 0) {
        if (c->in_len == IN_CAP) {
            fprintf(stderr, "epoll_broadcast: fd %d: a line longer than %d bytes, closed\n", c->fd,
                    IN_CAP);
            close_conn(c);
        }
        return;
    }
    fan_out(w, c, c->in, end);
    memmove(c->in, c->in + end, c->in_len - end);
    c->in_len -= end;
}

static void on_accept(struct worker* w) {
    for (;;) {
        int fd = accept4(w->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
                fprintf(stderr, "epoll_broadcast: accept: %s\n", strerror(errno));
            return;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct conn* c = calloc(1, sizeof *c);
        if (c == NULL) {
            close(fd);
            continue;
        }
        c->fd = fd;
        c->owner = w;
        pthread_mutex_init(&c->mu, NULL);
        pthread_mutex_lock(&g_lock);
        if (g_count == g_cap) {
            size_t cap = g_cap ? 2 * g_cap : 1024;
            struct conn** p = realloc(g_conns, cap * sizeof *p);
            if (p == NULL) {
                pthread_mutex_unlock(&g_lock);
                pthread_mutex_destroy(&c->mu);
                free(c);
                close(fd);
                continue;
            }
            g_conns = p;
            g_cap = cap;
        }
        c->index = g_count;
        g_conns[g_count++] = c;
        /* In epoll while still under g_lock: close_conn (which needs g_lock) cannot run first. */
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl(ADD)");
        pthread_mutex_unlock(&g_lock);
    }
}

static void* run(void* arg) {
    struct worker* w = arg;
    struct epoll_event evs[256];
    for (;;) {
        int n = epoll_wait(w->epfd, evs, 256, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait");
        }
        for (int k = 0; k < n; ++k) {
            void* key = evs[k].data.ptr;
            if (key == NULL) {
                on_accept(w);
            } else if (key == WAKE_KEY) {
                uint64_t v;
                ssize_t r = read(w->wake_fd, &v, sizeof v);
                (void)r;
            } else {
                struct conn* c = key;
                if (evs[k].events & EPOLLOUT) {
                    pthread_mutex_lock(&c->mu);
                    int failed = c->overflow ? 0 : flush_locked(c);
                    pthread_mutex_unlock(&c->mu);
                    if (failed) {
                        close_conn(c);
                        continue; /* freed or dead: not touched again this round */
                    }
                }
                if (evs[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) on_readable(w, c);
            }
        }
        drain_pending(w);
    }
    return NULL;
}

static int listen_on(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) die("SO_REUSEPORT");
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr*)&a, sizeof a) < 0) die("bind");
    if (listen(fd, 4096) < 0) die("listen");
    return fd;
}

int main(int argc, char** argv) {
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: epoll_broadcast PORT [THREADS]\n");
        return 2;
    }
    int port = atoi(argv[1]);
    long threads = argc > 2 ? atol(argv[2]) : sysconf(_SC_NPROCESSORS_ONLN);
    if (port <= 0 || port > 65535 || threads < 1 || threads > 256) {
        fprintf(stderr, "epoll_broadcast: PORT 1..65535, THREADS 1..256\n");
        return 2;
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    signal(SIGPIPE, SIG_IGN);
    struct worker* ws = calloc((size_t)threads, sizeof *ws);
    if (ws == NULL) die("calloc");
    for (long t = 0; t < threads; ++t) {
        struct worker* w = &ws[t];
        w->port = port;
        pthread_mutex_init(&w->mu, NULL);
        w->epfd = epoll_create1(EPOLL_CLOEXEC);
        w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (w->epfd < 0 || w->wake_fd < 0) die("epoll/eventfd");
        w->listen_fd = listen_on(port);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
        if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->listen_fd, &ev) < 0) die("epoll_ctl(listen)");
        ev.data.ptr = WAKE_KEY;
        if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->wake_fd, &ev) < 0) die("epoll_ctl(wake)");
    }
    for (long t = 1; t < threads; ++t)
        if (pthread_create(&ws[t].thread, NULL, run, &ws[t]) != 0) die("pthread_create");
    run(&ws[0]);
    return 0;
}
