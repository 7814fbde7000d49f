#include "serve/front.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <httplib.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "io/error.h"
#include "serve/deadline.h"

namespace podpower::serve {
namespace {

using Clock = std::chrono::steady_clock;

// How often the loop looks for connections past their deadline: timeouts
// fire up to this late, and a scan of 1,000 connections costs microseconds.
constexpr auto kScanInterval = std::chrono::milliseconds(100);
// How long a connection the front ends stays open, discarding what the client
// still sends, after its last answer: closing a socket with unread bytes
// makes the kernel send a reset, which can destroy the answer in the client's
// receive buffer before it is read (a 413 for a body still in flight, a 408
// for a trickling client).
constexpr auto kLinger = std::chrono::seconds(2);

thread_local bool body_timed_out = false;
thread_local Clock::time_point request_received{};

// A whole answer for the cases the front answers itself (no worker): JSON
// {"detail": reason} like every other error, then the connection closes.
std::string Canned(int status, const char* phrase, const std::string& reason) {
  const std::string body = "{\"detail\":\"" + reason + "\"}\n";
  return "HTTP/1.1 " + std::to_string(status) + " " + phrase +
         "\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

// Case-insensitive "does this header line start with `name:`".
bool HeaderIs(std::string_view line, std::string_view name) {
  if (line.size() <= name.size() || line[name.size()] != ':') return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(line[i])) != name[i])
      return false;
  }
  return true;
}

std::string_view TrimBlanks(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t'))
    v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t'))
    v.remove_suffix(1);
  return v;
}

bool IsProbe(std::string_view request_line) {
  for (std::string_view path :
       {"GET /healthz", "GET /readyz", "GET /metrics"}) {
    if (request_line.size() > path.size() &&
        request_line.compare(0, path.size(), path) == 0 &&
        (request_line[path.size()] == ' ' || request_line[path.size()] == '?'))
      return true;
  }
  return false;
}

void IpAndPort(const sockaddr_storage& addr, std::string& ip, int& port) {
  char text[INET6_ADDRSTRLEN] = {0};
  if (addr.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &a->sin_addr, text, sizeof(text));
    port = ntohs(a->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
    inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof(text));
    port = ntohs(a->sin6_port);
  }
  ip = text;
}

int Remaining(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                        deadline - Clock::now())
                        .count();
  return left <= 0 ? 0 : static_cast<int>(std::min<int64_t>(left, 1 << 30));
}

// poll() one fd for `events` until `deadline`; true when ready.
bool WaitFor(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, Remaining(deadline));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return false;
  }
}

}  // namespace

// epoll's data.ptr points at one of these: a listener or a connection.
struct Pollable {
  bool is_listener = false;
};

struct Front::Listener : Pollable {
  ListenerOptions options;
  int fd = -1;
  FrontCounters counters;
  std::unique_ptr<Pool> probes;  // from Start
};

struct Front::Conn : Pollable {
  int fd = -1;
  Listener* listener = nullptr;
  SSL* ssl = nullptr;
  bool handshaken = true;  // false while a TLS handshake runs
  bool watching = false;   // registered in epoll
  bool busy = false;       // in a worker
  bool closed = false;
  bool close_after = false;  // the answer asked for it, or a read failed
  // Answered for the last time and shut for writing: reads are discarded
  // until the client closes or `deadline` (kLinger) passes.
  bool draining = false;
  uint32_t events = 0;  // what epoll watches for, when `watching`
  // Unread bytes are in[pos, size()).
  std::string in;
  size_t pos = 0;
  // The current request: no byte yet (idle), header seen.
  bool idle = true;
  bool header_complete = false;
  size_t need = 0;  // bytes from pos the front waits for before dispatch
  bool probe = false;
  Clock::time_point deadline;
  Clock::time_point since;  // accept or last request: eviction order
  Clock::time_point received;
  size_t served = 0;
  // The request in a worker (set by Dispatch; docs/formats/serve.md, "When
  // the client leaves"): `gone` is set by the loop once nobody can read the
  // answer and read by the worker through RequestDeadline::Check. `http11`:
  // the request line ends in HTTP/1.1, so an interim "100 Continue" may be
  // sent to find out whether a client that shut its sending side still
  // reads (`probed`: sent, loop thread only).
  std::atomic<bool> gone{false};
  bool http11 = false;
  bool probed = false;
  // The probe and the worker's first write: whichever comes first, the
  // other knows (the worker's answer must not interleave with the probe).
  std::mutex write_mutex;
  bool worker_wrote = false;  // guarded by write_mutex
  std::string remote_ip, local_ip;
  int remote_port = 0, local_port = 0;
};

namespace {

// The cpp-httplib stream over a connection: the bytes the front already read
// first, then the socket (or TLS), with the read and write deadlines.
class ConnStream : public httplib::Stream {
 public:
  ConnStream(Front::Conn& c, std::chrono::milliseconds read_timeout,
             std::chrono::milliseconds write_timeout)
      : c_(c),
        read_deadline_(Clock::now() + read_timeout),
        write_timeout_(write_timeout) {}

  bool is_readable() const override {
    if (c_.pos < c_.in.size()) return true;
    if (c_.ssl != nullptr && SSL_pending(c_.ssl) > 0) return true;
    return WaitFor(c_.fd, POLLIN, read_deadline_);
  }
  bool is_writable() const override {
    return WaitFor(c_.fd, POLLOUT, Clock::now() + write_timeout_);
  }

  ssize_t read(char* ptr, size_t size) override {
    if (c_.pos < c_.in.size()) {
      const size_t n = std::min(size, c_.in.size() - c_.pos);
      std::memcpy(ptr, c_.in.data() + c_.pos, n);
      c_.pos += n;
      return static_cast<ssize_t>(n);
    }
    // Read ahead into the connection's buffer, as cpp-httplib's own stream
    // does: its line reader asks for one byte at a time.
    char buf[4096];
    const ssize_t n = Recv(buf, sizeof(buf));
    if (n <= 0) {
      c_.close_after = true;
      return n;
    }
    c_.in.assign(buf, static_cast<size_t>(n));
    c_.pos = 0;
    return read(ptr, size);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (!wrote_) {
      // From now on the loop sends no probe (Front::OnBusyEvent).
      std::lock_guard lock(c_.write_mutex);
      c_.worker_wrote = true;
      wrote_ = true;
    }
    const size_t asked = size;
    std::string patched;
    if (!started_ && size >= 12 && std::string_view(ptr, 9) == "HTTP/1.1 " &&
        ptr[9] != '1') {
      // The status line (after any "100 Continue"). Answers that may leave
      // unread body bytes behind end the connection.
      started_ = true;
      const std::string_view code(ptr + 9, 3);
      for (const char* c :
           {"400", "401", "408", "411", "413", "414", "431", "503"})
        if (code == c) c_.close_after = true;
      // Ending a keep-alive connection silently loses the client's next
      // request (a POST is not retried): the answer says so. The head is one
      // write (cpp-httplib buffers it), so the header goes after its status
      // line unless the answer already carries one.
      const std::string_view head(ptr, size);
      const size_t eol = head.find("\r\n");
      if (c_.close_after && eol != std::string_view::npos &&
          head.find("\r\nConnection: close\r\n") == std::string_view::npos) {
        patched.reserve(size + 19);
        patched.append(ptr, eol + 2);
        patched.append("Connection: close\r\n");
        patched.append(ptr + eol + 2, size - eol - 2);
        ptr = patched.data();
        size = patched.size();
      }
    }
    const auto deadline = Clock::now() + write_timeout_;
    size_t done = 0;
    while (done < size) {
      if (c_.ssl != nullptr) {
        const int n =
            SSL_write(c_.ssl, ptr + done,
                      static_cast<int>(std::min<size_t>(size - done, 1 << 30)));
        if (n > 0) {
          done += static_cast<size_t>(n);
          continue;
        }
        const int err = SSL_get_error(c_.ssl, n);
        if ((err == SSL_ERROR_WANT_WRITE &&
             WaitFor(c_.fd, POLLOUT, deadline)) ||
            (err == SSL_ERROR_WANT_READ && WaitFor(c_.fd, POLLIN, deadline)))
          continue;
        c_.close_after = true;
        return -1;
      }
      const ssize_t n = ::send(c_.fd, ptr + done, size - done, MSG_NOSIGNAL);
      if (n > 0) {
        done += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
          WaitFor(c_.fd, POLLOUT, deadline))
        continue;
      c_.close_after = true;
      return -1;
    }
    return static_cast<ssize_t>(asked);
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = c_.remote_ip;
    port = c_.remote_port;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = c_.local_ip;
    port = c_.local_port;
  }
  socket_t socket() const override { return c_.fd; }

 private:
  ssize_t Recv(char* buf, size_t size) {
    for (;;) {
      if (Clock::now() >= read_deadline_) {
        body_timed_out = true;
        return -1;
      }
      if (c_.ssl != nullptr) {
        const int n = SSL_read(c_.ssl, buf, static_cast<int>(size));
        if (n > 0) return n;
        const int err = SSL_get_error(c_.ssl, n);
        if (err == SSL_ERROR_ZERO_RETURN) return 0;
        if (err == SSL_ERROR_WANT_READ) {
          WaitFor(c_.fd, POLLIN, read_deadline_);
          continue;
        }
        if (err == SSL_ERROR_WANT_WRITE) {
          WaitFor(c_.fd, POLLOUT, read_deadline_);
          continue;
        }
        return -1;
      }
      const ssize_t n = ::recv(c_.fd, buf, size, 0);
      if (n >= 0) return n;
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
      WaitFor(c_.fd, POLLIN, read_deadline_);
    }
  }

  Front::Conn& c_;
  Clock::time_point read_deadline_;
  std::chrono::milliseconds write_timeout_;
  bool started_ = false;
  bool wrote_ = false;
};

}  // namespace

// A fixed set of threads taking connections with a complete request.
class Front::Pool {
 public:
  Pool(size_t n, std::function<void(Conn*)> run) : run_(std::move(run)) {
    for (size_t i = 0; i < std::max<size_t>(n, 1); ++i)
      threads_.emplace_back([this] { Work(); });
  }
  ~Pool() { Shutdown(); }
  void Push(Conn* c) {
    {
      std::lock_guard lock(mutex_);
      queue_.push_back(c);
    }
    cv_.notify_one();
  }
  void Shutdown() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_)
      if (t.joinable()) t.join();
  }

 private:
  void Work() {
    for (;;) {
      Conn* c = nullptr;
      {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [this] { return done_ || !queue_.empty(); });
        if (queue_.empty()) return;
        c = queue_.front();
        queue_.pop_front();
      }
      run_(c);
    }
  }
  std::function<void(Conn*)> run_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Conn*> queue_;
  bool done_ = false;
  std::vector<std::thread> threads_;
};

bool Front::BodyTimedOut() { return body_timed_out; }
Clock::time_point Front::RequestReceivedAt() { return request_received; }

Front::Front(FrontOptions options, FrontHandler handler)
    : options_(options), handler_(std::move(handler)) {
  epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (epoll_ < 0 || wake_ < 0)
    throw Error(std::string("serve: epoll/eventfd: ") + std::strerror(errno));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr;  // the wake-up eventfd
  ::epoll_ctl(epoll_, EPOLL_CTL_ADD, wake_, &ev);
}

Front::~Front() {
  Stop();
  for (auto& l : listeners_)
    if (l->fd >= 0) ::close(l->fd);
  if (wake_ >= 0) ::close(wake_);
  if (epoll_ >= 0) ::close(epoll_);
}

int Front::AddListener(const ListenerOptions& options) {
  const std::string where = options.host + ":" + std::to_string(options.port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(options.port);
  if (::getaddrinfo(options.host.c_str(), port.c_str(), &hints, &found) != 0 ||
      found == nullptr) {
    throw Error("--listen " + where + ": cannot resolve the host");
  }
  int fd = -1;
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                  a->ai_protocol);
    if (fd < 0) continue;
    int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    if (a->ai_family == AF_INET6) {
      int no = 0;
      ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &no, sizeof(no));
    }
    // A long backlog: connections beyond the cap are accepted and refused
    // with a 503 rather than left unanswered in the kernel's queue.
    if (::bind(fd, a->ai_addr, a->ai_addrlen) != 0 || ::listen(fd, 4096) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  if (fd < 0) {
    throw Error("--listen " + where +
                ": cannot bind (address in use or not local?)");
  }
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::string ip;
  int bound = 0;
  IpAndPort(addr, ip, bound);
  auto l = std::make_unique<Listener>();
  l->is_listener = true;
  l->options = options;
  l->fd = fd;
  listeners_.push_back(std::move(l));
  return bound;
}

const FrontCounters& Front::counters(size_t listener) const {
  return listeners_.at(listener)->counters;
}
const std::string& Front::listener_name(size_t listener) const {
  return listeners_.at(listener)->options.name;
}

void Front::Start() {
  workers_ =
      std::make_unique<Pool>(options_.workers, [this](Conn* c) { Serve(c); });
  // Each listener its own probe workers: a client of the API port that
  // pipelines GET /metrics and never reads held both shared ones in their
  // write timeout, and kubelet's /healthz on --health-listen waited ~4 s.
  for (auto& l : listeners_)
    l->probes = std::make_unique<Pool>(options_.probe_workers,
                                       [this](Conn* c) { Serve(c); });
  for (auto& l : listeners_) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = static_cast<Pollable*>(l.get());
    ::epoll_ctl(epoll_, EPOLL_CTL_ADD, l->fd, &ev);
  }
  started_ = true;
  loop_ = std::thread([this] { Loop(); });
}

void Front::Stop() {
  if (!started_.exchange(false)) return;
  stopping_ = true;
  Wake();
  if (loop_.joinable()) loop_.join();
  workers_->Shutdown();
  for (auto& l : listeners_) l->probes->Shutdown();
}

void Front::Wake() {
  const uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(wake_, &one, sizeof(one));
}

void Front::Watch(Conn* c, uint32_t events, bool rdhup) {
  if (rdhup) events |= EPOLLRDHUP;
  if (c->watching && c->events == events) return;
  c->events = events;
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = static_cast<Pollable*>(c);
  ::epoll_ctl(epoll_, c->watching ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd, &ev);
  c->watching = true;
}

void Front::Unwatch(Conn* c) {
  if (!c->watching) return;
  ::epoll_ctl(epoll_, EPOLL_CTL_DEL, c->fd, nullptr);
  c->watching = false;
}

void Front::Loop() {
  std::vector<std::unique_ptr<Conn>> graveyard;
  epoll_event events[256];
  auto next_scan = Clock::now() + kScanInterval;
  bool listening = true;
  for (;;) {
    if (stopping_ && listening) {
      // Stop accepting; connections waiting for a request are closed now,
      // those in a worker when their answer is written.
      listening = false;
      for (auto& l : listeners_) {
        ::epoll_ctl(epoll_, EPOLL_CTL_DEL, l->fd, nullptr);
        ::close(l->fd);
        l->fd = -1;
      }
      for (auto& [p, c] : conns_)
        if (!c->busy) Close(c.get());
    }
    for (auto it = conns_.begin(); it != conns_.end();) {
      if (it->second->closed) {
        graveyard.push_back(std::move(it->second));
        it = conns_.erase(it);
      } else {
        ++it;
      }
    }
    graveyard.clear();
    if (stopping_ && conns_.empty()) return;

    const int timeout = Remaining(next_scan) + 1;
    const int n = ::epoll_wait(epoll_, events, 256, timeout);
    for (int i = 0; i < n; ++i) {
      auto* p = static_cast<Pollable*>(events[i].data.ptr);
      if (p == nullptr) {
        uint64_t drained = 0;
        [[maybe_unused]] const ssize_t r =
            ::read(wake_, &drained, sizeof(drained));
        std::vector<Conn*> back;
        {
          std::lock_guard lock(returned_mutex_);
          back.swap(returned_);
        }
        for (Conn* c : back) Returned(c);
        continue;
      }
      if (p->is_listener) {
        if (!stopping_) Accept(*static_cast<Listener*>(p));
        continue;
      }
      auto* c = static_cast<Conn*>(p);
      if (c->closed) continue;
      if (c->busy) {
        OnBusyEvent(c, events[i].events);
        continue;
      }
      OnReadable(c);
    }
    if (Clock::now() >= next_scan) {
      ExpireTimeouts();
      next_scan = Clock::now() + kScanInterval;
    }
  }
}

void Front::Accept(Listener& l) {
  for (;;) {
    sockaddr_storage peer{};
    socklen_t len = sizeof(peer);
    const int fd = ::accept4(l.fd, reinterpret_cast<sockaddr*>(&peer), &len,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR) continue;
      if (errno == EMFILE || errno == ENFILE) {
        // Out of descriptors: the pending connections stay in the backlog
        // and the listener readable; do not spin on it.
        ++l.counters.refused;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      return;
    }
    if (l.counters.open >= l.options.max_connections) {
      Conn* victim = nullptr;
      if (l.options.evict_idle) {
        for (auto& [p, c] : conns_) {
          if (c->listener == &l && !c->busy && !c->closed &&
              (victim == nullptr || c->since < victim->since))
            victim = c.get();
        }
      }
      if (victim == nullptr) {
        // Refused fast: one small write into an empty socket buffer cannot
        // block; TLS listeners just close (no handshake for a refusal).
        if (!l.options.tls) {
          static const std::string busy =
              Canned(503, "Service Unavailable", "too many connections");
          [[maybe_unused]] const ssize_t w =
              ::send(fd, busy.data(), busy.size(), MSG_NOSIGNAL);
        }
        // Unread request bytes would turn the close into a reset, which can
        // drop the answer before the client reads it.
        char drain[4096];
        [[maybe_unused]] const ssize_t r =
            ::recv(fd, drain, sizeof(drain), MSG_DONTWAIT);
        ::close(fd);
        ++l.counters.refused;
        continue;
      }
      ++l.counters.evicted;
      Close(victim);
    }
    int yes = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
    auto c = std::make_unique<Conn>();
    c->fd = fd;
    c->listener = &l;
    IpAndPort(peer, c->remote_ip, c->remote_port);
    sockaddr_storage local{};
    socklen_t local_len = sizeof(local);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len);
    IpAndPort(local, c->local_ip, c->local_port);
    c->since = Clock::now();
    c->deadline = c->since + options_.read_timeout;
    if (l.options.tls && options_.tls != nullptr) {
      c->ssl = SSL_new(options_.tls);
      SSL_set_fd(c->ssl, fd);
      SSL_set_accept_state(c->ssl);
      SSL_set_mode(c->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE |
                               SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
      c->handshaken = false;
    }
    ++l.counters.open;
    ++l.counters.accepted;
    Conn* raw = c.get();
    conns_.emplace(raw, std::move(c));
    Watch(raw, EPOLLIN);
  }
}

void Front::OnReadable(Conn* c) {
  if (c->draining) {
    // Bounded per event so one fast sender cannot hold the loop; epoll is
    // level-triggered and reports the rest.
    char scratch[16384];
    for (int i = 0; i < 16; ++i) {
      const ssize_t n = ::recv(c->fd, scratch, sizeof(scratch), 0);
      if (n > 0) continue;
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      Close(c);  // the client closed (or reset): done
      return;
    }
    return;
  }
  if (c->ssl != nullptr && !c->handshaken) {
    ERR_clear_error();
    const int r = SSL_accept(c->ssl);
    if (r == 1) {
      c->handshaken = true;
      Watch(c, EPOLLIN);
    } else {
      const int err = SSL_get_error(c->ssl, r);
      if (err == SSL_ERROR_WANT_READ) {
        Watch(c, EPOLLIN);
        c->idle = false;  // a handshake under way counts as request bytes
        return;
      }
      if (err == SSL_ERROR_WANT_WRITE) {
        Watch(c, EPOLLOUT);
        c->idle = false;
        return;
      }
      if (err == SSL_ERROR_SSL) {
        ++c->listener->counters.tls_refused;
        // Refused by us (a client certificate missing or not of --client-ca,
        // no common protocol): OpenSSL has sent the alert that says why. In
        // TLS 1.3 the client has already sent its request by then; closing
        // at once would turn that unread request into a reset that destroys
        // the alert, and the client would see only "broken pipe".
        Linger(c);
        return;
      }
      Close(c);
      return;
    }
  }
  // Read what is there, up to what a request may need in the front.
  char buf[16384];
  bool eof = false;
  bool want_write = false;
  for (;;) {
    if (c->in.size() - c->pos >= kFrontHeaderBytes + kFrontBodyBytes) break;
    ssize_t n = 0;
    if (c->ssl != nullptr) {
      ERR_clear_error();
      const int r = SSL_read(c->ssl, buf, sizeof(buf));
      if (r > 0) {
        n = r;
      } else {
        const int err = SSL_get_error(c->ssl, r);
        if (err == SSL_ERROR_WANT_READ) break;
        if (err == SSL_ERROR_WANT_WRITE) {
          Watch(c, EPOLLOUT);
          want_write = true;
          break;
        }
        eof = true;
        break;
      }
    } else {
      n = ::recv(c->fd, buf, sizeof(buf), 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) eof = true;
        break;
      }
      if (n == 0) {
        eof = true;
        break;
      }
    }
    if (c->idle) {
      // The first byte of a request: its header has read_timeout from now.
      c->idle = false;
      c->deadline = Clock::now() + options_.read_timeout;
    }
    if (c->pos > 0 && c->pos == c->in.size()) {
      c->in.clear();
      c->pos = 0;
    }
    c->in.append(buf, static_cast<size_t>(n));
  }
  // Once TLS no longer waits to write, wait for reads again: watching
  // EPOLLOUT on a writable socket would wake the loop at once, forever.
  if (!want_write && !eof && !c->closed && c->watching) Watch(c, EPOLLIN);
  TryDispatch(c);
  if (eof && !c->busy && !c->closed) Close(c);
}

void Front::TryDispatch(Conn* c) {
  if (c->closed || c->busy || c->draining) return;
  const std::string_view data(c->in.data() + c->pos, c->in.size() - c->pos);
  if (!c->header_complete) {
    const size_t end = data.find("\r\n\r\n");
    // Also when the end is found: a header that arrived whole in one read
    // may be longer than the limit, and its body would not fit the buffer
    // (the read loop stops at kFrontHeaderBytes + kFrontBodyBytes, so the
    // request would never be complete and the level-triggered socket would
    // wake the loop without pause until the read timeout).
    if (end == std::string_view::npos ? data.size() > kFrontHeaderBytes
                                      : end + 4 > kFrontHeaderBytes) {
      Refuse(c, Canned(431, "Request Header Fields Too Large",
                       "request header too large (limit " +
                           std::to_string(kFrontHeaderBytes) + " bytes)"));
      return;
    }
    if (end == std::string_view::npos) return;
    c->header_complete = true;
    const std::string_view header = data.substr(0, end + 2);
    c->need = end + 4;
    size_t line_end = header.find("\r\n");
    c->probe = IsProbe(header.substr(0, line_end));
    const std::string_view request_line = header.substr(0, line_end);
    c->http11 = request_line.size() >= 9 &&
                request_line.substr(request_line.size() - 9) == " HTTP/1.1";
    size_t content_length = 0;
    bool length_ok = true;    // absent, or one well-formed value
    bool other_body = false;  // chunked, or the client waits for 100 Continue
    bool chunked = false;
    while (line_end != std::string_view::npos && line_end + 2 < header.size()) {
      const size_t next = header.find("\r\n", line_end + 2);
      const std::string_view line =
          header.substr(line_end + 2, next - line_end - 2);
      if (HeaderIs(line, "content-length")) {
        const std::string_view v = TrimBlanks(line.substr(15));
        size_t value = 0;
        bool ok = !v.empty() && v.size() < 16;
        for (char ch : v) {
          if (ch < '0' || ch > '9') ok = false;
          value = value * 10 + static_cast<size_t>(ch - '0');
        }
        if (ok) {
          content_length = value;
        } else {
          length_ok = false;  // cpp-httplib answers the malformed value
        }
      } else if (HeaderIs(line, "transfer-encoding")) {
        other_body = chunked = true;
      } else if (HeaderIs(line, "expect")) {
        other_body = true;
      }
      line_end = next;
    }
    if (length_ok && !chunked && options_.max_body_bytes > 0 &&
        content_length > options_.max_body_bytes) {
      // Refused before a worker is taken and, for a client that sent
      // "Expect: 100-continue", before it is invited to send the body:
      // cpp-httplib would answer 100 Continue, then spend the whole read
      // timeout skipping a body it refuses, and answer 408.
      Refuse(c,
             Canned(413, "Payload Too Large",
                    "request body too large (limit " +
                        std::to_string(options_.max_body_bytes) + " bytes)"));
      return;
    }
    if (length_ok && !other_body && content_length > 0) {
      // The body, or its first kFrontBodyBytes, is read here: a client that
      // announces a large body and sends nothing does not hold a worker.
      c->need += std::min(content_length, kFrontBodyBytes);
      // The body gets its own read_timeout from the end of the header.
      if (data.size() < c->need)
        c->deadline = Clock::now() + options_.read_timeout;
    }
  }
  if (data.size() < c->need) return;
  Dispatch(c);
}

void Front::Dispatch(Conn* c) {
  // While the worker has it, the loop watches only for the client leaving
  // (OnBusyEvent): bytes it pipelines meanwhile wait in the socket.
  c->gone = false;
  c->probed = false;
  {
    std::lock_guard lock(c->write_mutex);
    c->worker_wrote = false;
  }
  Watch(c, 0);
  c->busy = true;
  c->received = Clock::now();
  (c->probe ? c->listener->probes : workers_)->Push(c);
}

void Front::Serve(Conn* c) {
  // Runs on a worker: the front does not touch `c` until it is returned.
  body_timed_out = false;
  request_received = c->received;
  RequestDeadline::WatchClient(&c->gone);
  const bool close_connection =
      stopping_ || c->served + 1 >= options_.keep_alive_max_count;
  bool connection_closed = false;
  bool keep = false;
  {
    ConnStream stream(*c, options_.read_timeout, options_.write_timeout);
    try {
      keep = handler_(stream, close_connection, connection_closed);
    } catch (...) {
      keep = false;
    }
  }
  RequestDeadline::WatchClient(nullptr);
  if (body_timed_out) ++c->listener->counters.body_timeouts;
  request_received = {};
  ++c->served;
  if (!keep || connection_closed || close_connection || body_timed_out)
    c->close_after = true;
  {
    std::lock_guard lock(returned_mutex_);
    returned_.push_back(c);
  }
  Wake();
}

void Front::OnBusyEvent(Conn* c, uint32_t events) {
  if ((events & (EPOLLHUP | EPOLLERR)) != 0) {
    // A reset (ECONNRESET), or both directions shut: nobody can read the
    // answer. Unwatched because HUP and ERR cannot be masked and epoll is
    // level-triggered; Returned watches again.
    c->gone = true;
    Unwatch(c);
    return;
  }
  if ((events & EPOLLRDHUP) == 0) return;
  // The client sent FIN. close() and shutdown(SHUT_WR) send the same FIN, and
  // an HTTP/1.1 client may half-close after its request and still read the
  // answer, so a FIN alone cancels nothing. What tells them apart is a write:
  // a socket closed for reading answers data with a reset, a half-closed one
  // takes it. The probe is an interim "100 Continue", which HTTP/1.1 clients
  // must accept before any final answer (RFC 9110, 15.2), sent only while the
  // worker has written nothing. A reset comes back as EPOLLHUP|EPOLLERR
  // above. TLS connections (the worker owns the SSL object) and HTTP/1.0
  // requests (no 1xx allowed) are not probed: they are given up on a reset
  // only.
  if (!c->probed && c->ssl == nullptr && c->http11) {
    std::lock_guard lock(c->write_mutex);
    if (!c->worker_wrote) {
      static constexpr std::string_view kProbe =
          "HTTP/1.1 100 Continue\r\n\r\n";
      ssize_t w = -1;
      do {
        w = ::send(c->fd, kProbe.data(), kProbe.size(),
                   MSG_NOSIGNAL | MSG_DONTWAIT);
      } while (w < 0 && errno == EINTR);
      c->probed = true;
      // The send buffer is empty (the worker has written nothing), so a
      // short write means a broken connection; an answer after a torn
      // probe would be unreadable anyway.
      if (w != static_cast<ssize_t>(kProbe.size())) {
        c->gone = true;
        Unwatch(c);
        return;
      }
    }
  }
  // RDHUP stays reported (level-triggered) while the FIN is unread: watch
  // only for HUP and ERR from now on.
  Watch(c, 0, /*rdhup=*/false);
}

void Front::Returned(Conn* c) {
  c->busy = false;
  if (stopping_) {
    Close(c);
    return;
  }
  if (c->close_after) {
    // The answer may leave request bytes unread (an error before the whole
    // body was read): linger rather than reset the answer away.
    Linger(c);
    return;
  }
  // The next request on this keep-alive connection.
  if (c->pos > 0) {
    c->in.erase(0, c->pos);
    c->pos = 0;
  }
  c->header_complete = false;
  c->need = 0;
  c->probe = false;
  c->since = Clock::now();
  c->idle = c->in.empty();
  c->deadline = c->since +
                (c->idle ? options_.keep_alive_timeout : options_.read_timeout);
  TryDispatch(c);
  if (!c->busy && !c->closed) {
    Watch(c, EPOLLIN);
    // Bytes that arrived while the worker wrote the answer may already sit in
    // a TLS buffer, where epoll cannot see them.
    if (c->ssl != nullptr && SSL_pending(c->ssl) > 0) OnReadable(c);
  }
}

void Front::Refuse(Conn* c, const std::string& answer) {
  // Best effort, non-blocking: an answer this small fits an idle socket's
  // buffer; a client that does not read it loses nothing it would read.
  if (c->ssl != nullptr) {
    ERR_clear_error();
    [[maybe_unused]] const int w =
        SSL_write(c->ssl, answer.data(), static_cast<int>(answer.size()));
  } else {
    [[maybe_unused]] const ssize_t w =
        ::send(c->fd, answer.data(), answer.size(), MSG_NOSIGNAL);
  }
  Linger(c);
}

void Front::Linger(Conn* c) {
  if (c->closed || c->draining) return;
  if (c->ssl != nullptr) {
    // close_notify, then the rest of the connection is raw bytes to discard.
    ERR_clear_error();
    SSL_shutdown(c->ssl);
    SSL_free(c->ssl);
    c->ssl = nullptr;
  }
  ::shutdown(c->fd, SHUT_WR);
  c->draining = true;
  c->deadline =
      Clock::now() + std::min<Clock::duration>(kLinger, options_.read_timeout);
  Watch(c, EPOLLIN);
}

void Front::Close(Conn* c) {
  if (c->closed) return;
  Unwatch(c);
  if (c->ssl != nullptr) {
    SSL_shutdown(c->ssl);
    SSL_free(c->ssl);
    c->ssl = nullptr;
  }
  ::close(c->fd);
  c->closed = true;
  --c->listener->counters.open;
}

void Front::ExpireTimeouts() {
  const auto now = Clock::now();
  for (auto& [p, c] : conns_) {
    if (c->busy || c->closed || now < c->deadline) continue;
    if (c->draining) {
      Close(c.get());  // lingered long enough
    } else if (!c->idle && c->handshaken) {
      // A partial request: tell the client why, best effort.
      // The same words as a worker's 408 for a body it read.
      static const std::string header_late =
          Canned(408, "Request Timeout", "request header not received in time");
      static const std::string body_late =
          Canned(408, "Request Timeout", "request body not received in time");
      if (c->header_complete) {
        ++c->listener->counters.body_timeouts;
        Refuse(c.get(), body_late);
      } else {
        ++c->listener->counters.header_timeouts;
        Refuse(c.get(), header_late);
      }
    } else {
      // Idle past keep_alive_timeout, or a stalled TLS handshake.
      if (!c->idle) ++c->listener->counters.header_timeouts;
      Close(c.get());
    }
  }
}

}  // namespace podpower::serve
