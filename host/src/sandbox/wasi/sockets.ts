/**
 * `wasi:sockets/*` for one instance: present so components importing them link, but everything
 * is denied. `create-tcp-socket`, `create-udp-socket` and `resolve-addresses` fail with the
 * `error-code` `access-denied`, so no socket or resolver object ever reaches a guest; the methods
 * of the resource classes deny too, in case one is reached anyway.
 */
import type { Io } from './io.js';

type SocketErrorCode = 'access-denied';
const DENIED: SocketErrorCode = 'access-denied';
const deny = (): never => {
  throw DENIED;
};

const TCP_METHODS = [
  'startBind', 'finishBind', 'startConnect', 'finishConnect', 'startListen', 'finishListen', 'accept',
  'localAddress', 'remoteAddress', 'setListenBacklogSize', 'keepAliveEnabled', 'setKeepAliveEnabled',
  'keepAliveIdleTime', 'setKeepAliveIdleTime', 'keepAliveInterval', 'setKeepAliveInterval', 'keepAliveCount',
  'setKeepAliveCount', 'hopLimit', 'setHopLimit', 'receiveBufferSize', 'setReceiveBufferSize', 'sendBufferSize',
  'setSendBufferSize', 'shutdown',
] as const;
const UDP_METHODS = [
  'startBind', 'finishBind', 'stream', 'localAddress', 'remoteAddress', 'unicastHopLimit', 'setUnicastHopLimit',
  'receiveBufferSize', 'setReceiveBufferSize', 'sendBufferSize', 'setSendBufferSize',
] as const;

function denyAll(proto: object, names: readonly string[]): void {
  for (const name of names) Object.defineProperty(proto, name, { value: deny, writable: false, enumerable: false });
}

/** Builds the `wasi:sockets/*` import entries. */
export function createSockets(io: Io): Record<string, Record<string, unknown>> {
  class Network {}
  class TcpSocket {
    isListening(): boolean {
      return false;
    }
    addressFamily(): 'ipv4' {
      return 'ipv4';
    }
    subscribe(): unknown {
      return new io.Pollable();
    }
  }
  denyAll(TcpSocket.prototype, TCP_METHODS);
  class UdpSocket {
    addressFamily(): 'ipv4' {
      return 'ipv4';
    }
    subscribe(): unknown {
      return new io.Pollable();
    }
  }
  denyAll(UdpSocket.prototype, UDP_METHODS);
  class IncomingDatagramStream {
    subscribe(): unknown {
      return new io.Pollable();
    }
  }
  denyAll(IncomingDatagramStream.prototype, ['receive']);
  class OutgoingDatagramStream {
    subscribe(): unknown {
      return new io.Pollable();
    }
  }
  denyAll(OutgoingDatagramStream.prototype, ['checkSend', 'send']);
  class ResolveAddressStream {
    subscribe(): unknown {
      return new io.Pollable();
    }
  }
  denyAll(ResolveAddressStream.prototype, ['resolveNextAddress']);

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
