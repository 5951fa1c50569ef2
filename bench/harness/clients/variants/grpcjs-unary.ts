/** A unary call on a grpc-js client, as a promise: what both grpc-js variants call through. */
import type * as grpc from "@grpc/grpc-js";

/** An instance of a class that makeGenericClientConstructor or loadPackageDefinition made. */
export type GenericClient = InstanceType<grpc.ServiceClientConstructor>;

/** A unary method of such a client. */
type UnaryMethod = (
  request: unknown,
  callback: (error: grpc.ServiceError | null, response?: unknown) => void,
) => grpc.ClientUnaryCall;

/** Calls the method `name` of `client` and resolves with its response. */
export function unary<O>(
  client: GenericClient,
  name: string,
  request: unknown,
): Promise<O | undefined> {
  const call = client[name] as UnaryMethod;
  return new Promise((resolve, reject) => {
    call.call(client, request, (error, response) =>
      error ? reject(error) : resolve(response as O | undefined),
    );
  });
}
