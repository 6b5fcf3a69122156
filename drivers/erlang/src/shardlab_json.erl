%% Minimal JSON for the driver protocol: objects become maps with binary
%% keys, arrays lists, strings binaries, numbers integers or floats, and
%% true/false/null atoms. OTP 25 has no JSON module of its own.
-module(shardlab_json).
-export([decode/1, encode/1]).

decode(Bin) ->
    {V, Rest} = value(ws(Bin)),
    case ws(Rest) of
        <<>> -> V;
        _ -> error({json, trailing_bytes})
    end.

ws(<<C, R/binary>>) when C =:= $\s; C =:= $\t; C =:= $\r; C =:= $\n -> ws(R);
ws(B) -> B.

value(<<${, R/binary>>) -> object(ws(R), #{});
value(<<$[, R/binary>>) -> array(ws(R), []);
value(<<$", R/binary>>) -> string(R, []);
value(<<"true", R/binary>>) -> {true, R};
value(<<"false", R/binary>>) -> {false, R};
value(<<"null", R/binary>>) -> {null, R};
value(B) -> number(B).

object(<<$}, R/binary>>, M) -> {M, R};
object(<<$", R/binary>>, M) ->
    {K, R1} = string(R, []),
    <<$:, R2/binary>> = ws(R1),
    {V, R3} = value(ws(R2)),
    case ws(R3) of
        <<$,, R4/binary>> -> object(ws(R4), M#{K => V});
        <<$}, R4/binary>> -> {M#{K => V}, R4}
    end.

array(<<$], R/binary>>, Acc) -> {lists:reverse(Acc), R};
array(B, Acc) ->
    {V, R1} = value(B),
    case ws(R1) of
        <<$,, R2/binary>> -> array(ws(R2), [V | Acc]);
        <<$], R2/binary>> -> {lists:reverse([V | Acc]), R2}
    end.

string(<<$", R/binary>>, Acc) -> {iolist_to_binary(lists:reverse(Acc)), R};
string(<<$\\, E, R/binary>>, Acc) when E =/= $u ->
    C = case E of $" -> $"; $\\ -> $\\; $/ -> $/; $b -> 8; $f -> 12; $n -> 10; $r -> 13; $t -> 9 end,
    string(R, [C | Acc]);
string(<<"\\u", H:4/binary, "\\u", L:4/binary, R/binary>>, Acc)
  when H >= <<"D800">>, H =< <<"DBFF">>; H >= <<"d800">>, H =< <<"dbff">> ->
    Hi = binary_to_integer(H, 16), Lo = binary_to_integer(L, 16),
    C = 16#10000 + ((Hi - 16#D800) bsl 10) + (Lo - 16#DC00),
    string(R, [<<C/utf8>> | Acc]);
string(<<"\\u", H:4/binary, R/binary>>, Acc) ->
    string(R, [<<(binary_to_integer(H, 16))/utf8>> | Acc]);
string(B, Acc) ->
    case binary:match(B, [<<$">>, <<$\\>>]) of
        {0, _} -> error({json, bad_string});
        {N, _} -> <<S:N/binary, R/binary>> = B, string(R, [S | Acc])
    end.

number(B) ->
    {N, R} = num_chars(B, []),
    case catch binary_to_integer(N) of
        I when is_integer(I) -> {I, R};
        _ -> {binary_to_float(N), R}
    end.

num_chars(<<C, R/binary>>, Acc) when C >= $0, C =< $9; C =:= $-; C =:= $+; C =:= $.; C =:= $e; C =:= $E ->
    num_chars(R, [C | Acc]);
num_chars(_, []) -> error({json, bad_value});
num_chars(R, Acc) -> {list_to_binary(lists:reverse(Acc)), R}.

encode(M) when is_map(M) ->
    [${, lists:join($,, [[encode(K), $:, encode(V)] || {K, V} <- maps:to_list(M)]), $}];
encode(L) when is_list(L) -> [$[, lists:join($,, [encode(V) || V <- L]), $]];
encode(true) -> <<"true">>;
encode(false) -> <<"false">>;
encode(null) -> <<"null">>;
encode(A) when is_atom(A) -> encode(atom_to_binary(A));
encode(I) when is_integer(I) -> integer_to_binary(I);
encode(B) when is_binary(B) -> [$", escape(B, []), $"].

escape(<<>>, Acc) -> lists:reverse(Acc);
escape(<<$", R/binary>>, Acc) -> escape(R, [<<"\\\"">> | Acc]);
escape(<<$\\, R/binary>>, Acc) -> escape(R, [<<"\\\\">> | Acc]);
escape(<<C, R/binary>>, Acc) when C < 16#20; C =:= 16#7f ->
    escape(R, [io_lib:format("\\u~4.16.0b", [C]) | Acc]);
escape(<<C, R/binary>>, Acc) -> escape(R, [C | Acc]).
