export declare const HOST: string;
export declare function findBinary(name: string): string | null;
export declare function freePort(busOffset?: number): Promise<number>;
export declare function rawCommand(port: number, text: string, done: (answer: string) => boolean, timeoutMs?: number): Promise<string>;
export declare function resp(args: readonly string[]): string;
export declare function bulkDone(answer: string): boolean;
