// Directory trees moved as one tar stream over one channel.
#pragma once

#include "endpoint.hpp"

#include <boost/asio/awaitable.hpp>

#include <memory>
#include <string>

namespace hpcexec::ssh {

/// Copies the contents of the local directory `local_dir` into `remote_dir` (created with its parents if
/// missing): `tar -C local_dir -cf - .` here, piped through one exec channel into `tar -C remote_dir -xof -`
/// there. One stream instead of a request per file is what makes thousands of small files fast.
/// Throws FileError("upload", ...) with either tar's message; TransportBroken when the connection breaks.
boost::asio::awaitable<void> tar_upload(std::shared_ptr<Endpoint> endpoint, std::string local_dir,
                                        std::string remote_dir);

/// The reverse: `tar -C remote_dir -cf - .` there into `tar -C local_dir -xof -` here (local_dir created).
boost::asio::awaitable<void> tar_download(std::shared_ptr<Endpoint> endpoint, std::string remote_dir,
                                          std::string local_dir);

}  // namespace hpcexec::ssh
