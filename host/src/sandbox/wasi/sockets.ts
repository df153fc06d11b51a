/**
 * `wasi:sockets/*` for one instance: present so components importing them link, but everything
 * is denied. `create-tcp-socket`, `create-udp-socket` and `resolve-addresses` fail with the
 * `error-code` `access-denied`, so no socket or resolver object ever reaches a guest; the methods
 * of the resource classes deny too, in case one is reached anyway.
 */
import type { SocketsIpNameLookup, SocketsNetwork, SocketsTcp, SocketsUdp, WasiImports } from './contract.js';
import type { Io, PollableInstance } from './io.js';

const DENIED: SocketsNetwork.ErrorCode = 'access-denied';
const deny = (): never => {
  throw DENIED;
};

const TCP_METHODS = [
  'startBind', 'finishBind', 'startConnect', 'finishConnect', 'startListen', 'finishListen', 'accept',
  'localAddress', 'remoteAddress', 'setListenBacklogSize', 'keepAliveEnabled', 'setKeepAliveEnabled',
  'keepAliveIdleTime', 'setKeepAliveIdleTime', 'keepAliveInterval', 'setKeepAliveInterval', 'keepAliveCount',
  'setKeepAliveCount', 'hopLimit', 'setHopLimit', 'receiveBufferSize', 'setReceiveBufferSize', 'sendBufferSize',
  'setSendBufferSize', 'shutdown',
] as const satisfies readonly (keyof SocketsTcp.TcpSocket)[];
const UDP_METHODS = [
  'startBind', 'finishBind', 'stream', 'localAddress', 'remoteAddress', 'unicastHopLimit', 'setUnicastHopLimit',
  'receiveBufferSize', 'setReceiveBufferSize', 'sendBufferSize', 'setSendBufferSize',
] as const satisfies readonly (keyof SocketsUdp.UdpSocket)[];
const INCOMING_DATAGRAM_METHODS = ['receive'] as const satisfies readonly (keyof SocketsUdp.IncomingDatagramStream)[];
const OUTGOING_DATAGRAM_METHODS = ['checkSend', 'send'] as const satisfies readonly (keyof SocketsUdp.OutgoingDatagramStream)[];
const RESOLVE_METHODS = ['resolveNextAddress'] as const satisfies readonly (keyof SocketsIpNameLookup.ResolveAddressStream)[];

function denyAll(proto: object, names: readonly string[]): void {
  for (const name of names) Object.defineProperty(proto, name, { value: deny, writable: false, enumerable: false });
}

type SocketsImports = Pick<
  WasiImports,
  | 'wasi:sockets/network' | 'wasi:sockets/instance-network' | 'wasi:sockets/ip-name-lookup'
  | 'wasi:sockets/tcp' | 'wasi:sockets/tcp-create-socket' | 'wasi:sockets/udp' | 'wasi:sockets/udp-create-socket'
>;

/**
 * Builds the `wasi:sockets/*` import entries. Each resource class declares (by an interface
 * merged into it) the shipped methods `denyAll` puts on its prototype, so `implements` checks
 * that the lists above name every method the class does not define itself.
 */
export function createSockets(io: Io): SocketsImports {
  class Network implements SocketsNetwork.Network {}
  interface TcpSocket extends Pick<SocketsTcp.TcpSocket, (typeof TCP_METHODS)[number]> {}
  class TcpSocket implements SocketsTcp.TcpSocket {
    isListening(): boolean {
      return false;
    }
    addressFamily(): SocketsNetwork.IpAddressFamily {
      return 'ipv4';
    }
    subscribe(): PollableInstance {
      return new io.Pollable();
    }
  }
  denyAll(TcpSocket.prototype, TCP_METHODS);
  interface UdpSocket extends Pick<SocketsUdp.UdpSocket, (typeof UDP_METHODS)[number]> {}
  class UdpSocket implements SocketsUdp.UdpSocket {
    addressFamily(): SocketsNetwork.IpAddressFamily {
      return 'ipv4';
    }
    subscribe(): PollableInstance {
      return new io.Pollable();
    }
  }
  denyAll(UdpSocket.prototype, UDP_METHODS);
  interface IncomingDatagramStream extends Pick<SocketsUdp.IncomingDatagramStream, (typeof INCOMING_DATAGRAM_METHODS)[number]> {}
  class IncomingDatagramStream implements SocketsUdp.IncomingDatagramStream {
    subscribe(): PollableInstance {
      return new io.Pollable();
    }
  }
  denyAll(IncomingDatagramStream.prototype, INCOMING_DATAGRAM_METHODS);
  interface OutgoingDatagramStream extends Pick<SocketsUdp.OutgoingDatagramStream, (typeof OUTGOING_DATAGRAM_METHODS)[number]> {}
  class OutgoingDatagramStream implements SocketsUdp.OutgoingDatagramStream {
    subscribe(): PollableInstance {
      return new io.Pollable();
    }
  }
  denyAll(OutgoingDatagramStream.prototype, OUTGOING_DATAGRAM_METHODS);
  interface ResolveAddressStream extends Pick<SocketsIpNameLookup.ResolveAddressStream, (typeof RESOLVE_METHODS)[number]> {}
  class ResolveAddressStream implements SocketsIpNameLookup.ResolveAddressStream {
    subscribe(): PollableInstance {
      return new io.Pollable();
    }
  }
  denyAll(ResolveAddressStream.prototype, RESOLVE_METHODS);

  return {
    'wasi:sockets/network': {
      Network,
      networkErrorCode: (): undefined => undefined,
    },
    'wasi:sockets/instance-network': { instanceNetwork: () => new Network() },
    'wasi:sockets/ip-name-lookup': { ResolveAddressStream, resolveAddresses: deny },
    'wasi:sockets/tcp': { TcpSocket },
    'wasi:sockets/tcp-create-socket': { createTcpSocket: deny },
    'wasi:sockets/udp': { UdpSocket, IncomingDatagramStream, OutgoingDatagramStream },
    'wasi:sockets/udp-create-socket': { createUdpSocket: deny },
  };
}
