// epoll_echo: the LIMIT for bench/run_echo.sh. A bare epoll echo server written for the bench: no
// protocol, no logging, no limits, no allocation per message, nothing a real daemon needs. What
// it costs per round trip is close to what the kernel costs (one epoll_wait slot, one recv, one
// send), so a daemon's figures divided by its figures say how much of the machine's echo speed
// the daemon leaves on the table.
//
//   epoll_echo PORT [THREADS]     listens on 127.0.0.1:PORT; THREADS defaults to the online CPUs
//
// One thread per core, each with its own epoll and its own SO_REUSEPORT listening socket on the
// same address. Chosen over one shared socket watched with EPOLLEXCLUSIVE (sockchatd's way): the
// kernel spreads new connections over per-thread accept queues by a hash of the 4-tuple, so no
// two threads share an accept queue (its lock) or are woken for the same connection, whereas
// EPOLLEXCLUSIVE wakes "one or more" waiters that then accept from the one queue. Measured with
// both builds, 2 threads, alternating, on the 2-core VM of 2026-12-02 (noisy: load average ~7):
// the storm within noise (3 pairs: 11.9k/9.4k, 13.7k/14.0k, 14.0k/14.1k connections/s), 16-byte
// ping-pong at 512 connections ahead (85.9k/79.3k, 70.1k/62.2k round trips/s), at 5,000 ahead in
// 3 of 4 pairs; at 64 behind in 4 of 6 pairs (spreads up to 1.4x: mostly the balance). The price of
// SO_REUSEPORT is balance: the hash may put most of a few connections on one thread.
//
// Level-triggered, non-blocking sockets; TCP_NODELAY on accepted sockets; accept4 in a loop until
// EAGAIN. Per readable event: one recv into the thread's buffer, then send it back. If the
// socket takes only part of it, the rest is kept for that connection (its one buffer, allocated
// the first time it is needed and reused), the connection waits for EPOLLOUT *instead of* EPOLLIN
// (so a client that does not read cannot make us buffer without end), and reading resumes once
// it is flushed. EOF or an error closes the connection. Per-connection state lives in one array
// indexed by the descriptor, sized by RLIMIT_NOFILE, which is raised to its hard limit.
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

enum { BUF_SIZE = 64 * 1024, MAX_EVENTS = 256, MAX_THREADS = 1024 };

struct conn {
    char* pend;         // unsent bytes (BUF_SIZE, allocated on the first partial write), or NULL
    unsigned off, len;  // pend[off..len) is still to be sent
};

static struct conn* conns;  // indexed by descriptor: a descriptor belongs to one thread at a time
static size_t max_fds;

struct worker {
    int epfd;
    int lfd;
    pthread_t tid;
};

static void fatal(const char* what) {
    fprintf(stderr, "epoll_echo: %s: %s\n", what, strerror(errno));
    exit(1);
}

static int listen_on(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) fatal("socket");
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0)
        fatal("setsockopt");
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr*)&sa, sizeof sa) < 0) fatal("bind");
    if (listen(fd, SOMAXCONN) < 0) fatal("listen");  // the kernel caps it at net.core.somaxconn
    return fd;
}

static void set_events(int epfd, int fd, uint32_t events) {
    struct epoll_event ev = {.events = events, .data.fd = fd};
    epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
}

static void close_conn(int fd) {
    struct conn* c = &conns[fd];
    free(c->pend);
    c->pend = NULL;
    c->off = c->len = 0;
    close(fd);  // also removes it from the epoll set
}

static void accept_all(struct worker* w) {
    for (;;) {
        int fd = accept4(w->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                perror("epoll_echo: accept4");  // EMFILE and the like: the next event retries
            return;
        }
        if ((size_t)fd >= max_fds) {  // cannot happen below RLIMIT_NOFILE, but never overrun
            close(fd);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
        if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) close(fd);
    }
}

// Sends pend[off..len); returns 1 when all is sent, 0 if the socket is full, -1 on error.
static int flush(int fd, struct conn* c) {
    while (c->off < c->len) {
        ssize_t n = send(fd, c->pend + c->off, c->len - c->off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
        }
        c->off += (unsigned)n;
    }
    c->off = c->len = 0;
    return 1;
}

static void on_readable(struct worker* w, int fd, char* buf) {
    ssize_t n = recv(fd, buf, BUF_SIZE, 0);
    if (n <= 0) {
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
        close_conn(fd);  // EOF or error (ECONNRESET)
        return;
    }
    size_t sent = 0;
    while (sent < (size_t)n) {
        ssize_t k = send(fd, buf + sent, (size_t)n - sent, MSG_NOSIGNAL);
        if (k < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            close_conn(fd);
            return;
        }
        sent += (size_t)k;
    }
    if (sent == (size_t)n) return;
    // Partial write: keep the rest and stop reading this connection until it is flushed.
    struct conn* c = &conns[fd];
    if (!c->pend && !(c->pend = malloc(BUF_SIZE))) {
        close_conn(fd);
        return;
    }
    c->off = 0;
    c->len = (unsigned)((size_t)n - sent);
    memcpy(c->pend, buf + sent, c->len);
    set_events(w->epfd, fd, EPOLLOUT);
}

static void on_writable(struct worker* w, int fd) {
    int r = flush(fd, &conns[fd]);
    if (r < 0)
        close_conn(fd);
    else if (r > 0)
        set_events(w->epfd, fd, EPOLLIN);
}

static void* run(void* arg) {
    struct worker* w = arg;
    static __thread char buf[BUF_SIZE];
    struct epoll_event evs[MAX_EVENTS];
    for (;;) {
        int n = epoll_wait(w->epfd, evs, MAX_EVENTS, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            fatal("epoll_wait");
        }
        for (int i = 0; i < n; ++i) {
            int fd = evs[i].data.fd;
            uint32_t e = evs[i].events;
            if (fd == w->lfd)
                accept_all(w);
            else if (conns[fd].len > 0)  // waiting for EPOLLOUT (or HUP/ERR: send reports it)
                on_writable(w, fd);
            else if (e & (EPOLLIN | EPOLLHUP | EPOLLERR))  // recv reports EOF or the error
                on_readable(w, fd, buf);
        }
    }
    return NULL;
}

int main(int argc, char** argv) {
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: epoll_echo PORT [THREADS]\n");
        return 2;
    }
    int port = atoi(argv[1]);
    long threads = argc > 2 ? atol(argv[2]) : sysconf(_SC_NPROCESSORS_ONLN);
    if (port <= 0 || port > 65535 || threads < 1 || threads > MAX_THREADS) {
        fprintf(stderr, "epoll_echo: bad PORT or THREADS (1..%d)\n", MAX_THREADS);
        return 2;
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    max_fds = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (1u << 24) ? 1u << 24 : rl.rlim_cur;
    conns = calloc(max_fds, sizeof *conns);
    if (!conns) fatal("calloc");
    signal(SIGPIPE, SIG_IGN);

    // Every listener is bound before any thread runs, so a connection accepted by the kernel
    // always has a thread to serve it.
    static struct worker ws[MAX_THREADS];
    for (long t = 0; t < threads; ++t) {
        ws[t].lfd = listen_on(port);
        ws[t].epfd = epoll_create1(EPOLL_CLOEXEC);
        if (ws[t].epfd < 0) fatal("epoll_create1");
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = ws[t].lfd};
        if (epoll_ctl(ws[t].epfd, EPOLL_CTL_ADD, ws[t].lfd, &ev) < 0) fatal("epoll_ctl");
    }
    for (long t = 1; t < threads; ++t) {
        errno = pthread_create(&ws[t].tid, NULL, run, &ws[t]);
        if (errno != 0) fatal("pthread_create");
    }
    run(&ws[0]);  // never returns; SIGTERM / SIGINT end the process, the kernel closes the rest
    return 0;
}
