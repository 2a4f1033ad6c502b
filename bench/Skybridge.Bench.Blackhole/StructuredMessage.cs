using System.Buffers.Binary;
using System.IO.Hashing;

namespace Skybridge.Bench.Blackhole;

/// <summary>
/// Checks a structured-message body (x-ms-structured-body: XSM/1.0; properties=crc64), the framing
/// Azure.Storage.Blobs uses for a transactional CRC64: a 13-byte header (version 1, message length
/// u64, flags u16 (1 = CRC64), segment count u16), then per segment a 10-byte header (number u16,
/// data length u64), the data and its CRC64, then the CRC64 of all the data. Integers are little
/// endian; each CRC64 is CRC-64/NVME in Azure's byte order. Azure refuses a message whose CRCs do
/// not match (400 Crc64Mismatch); this does the same, streaming, without keeping the data.
/// </summary>
internal sealed class StructuredMessage
{
    private const int HeaderLength = 13, SegmentHeaderLength = 10, CrcLength = 8;
    private readonly Crc64 _message = new(Crc64ParameterSet.Nvme), _segment = new(Crc64ParameterSet.Nvme);
    private readonly byte[] _pending = new byte[HeaderLength];
    private int _pendingLength, _segments, _segmentNumber;
    private long _messageLength, _received, _segmentRemaining;
    private bool _crc64;
    private State _state = State.Header;

    private enum State { Header, SegmentHeader, SegmentData, SegmentCrc, MessageCrc, Done }

    /// <summary>Data bytes (the blob's content) seen so far.</summary>
    public long ContentLength { get; private set; }

    /// <summary>Why the message is refused (null while it is sound).</summary>
    public string? Problem { get; private set; }

    /// <summary>True when a CRC did not match (Crc64Mismatch), false for a malformed message.</summary>
    public bool IsCrcMismatch { get; private set; }

    public void Append(ReadOnlySpan<byte> data)
    {
        _received += data.Length;
        while (!data.IsEmpty && Problem is null)
        {
            if (_state == State.SegmentData)
            {
                var take = (int)Math.Min(_segmentRemaining, data.Length);
                _message.Append(data[..take]);
                _segment.Append(data[..take]);
                ContentLength += take;
                _segmentRemaining -= take;
                data = data[take..];
                if (_segmentRemaining == 0) _state = _crc64 ? State.SegmentCrc : NextAfterSegment();
                continue;
            }
            if (_state == State.Done) { Problem = "bytes after the end of the structured message"; return; }
            var need = _state switch { State.Header => HeaderLength, State.SegmentHeader => SegmentHeaderLength, _ => CrcLength };
            var copy = Math.Min(need - _pendingLength, data.Length);
            data[..copy].CopyTo(_pending.AsSpan(_pendingLength));
            _pendingLength += copy;
            data = data[copy..];
            if (_pendingLength < need) continue;
            _pendingLength = 0;
            Complete(_pending.AsSpan(0, need));
        }
    }

    private void Complete(ReadOnlySpan<byte> field)
    {
        switch (_state)
        {
            case State.Header:
                if (field[0] != 1) { Problem = $"structured message version {field[0]} is not 1"; return; }
                _messageLength = BinaryPrimitives.ReadInt64LittleEndian(field[1..]);
                _crc64 = (BinaryPrimitives.ReadUInt16LittleEndian(field[9..]) & 1) != 0;
                _segments = BinaryPrimitives.ReadUInt16LittleEndian(field[11..]);
                _state = _segments == 0 ? (_crc64 ? State.MessageCrc : State.Done) : State.SegmentHeader;
                return;
            case State.SegmentHeader:
                var number = BinaryPrimitives.ReadUInt16LittleEndian(field);
                if (number != ++_segmentNumber) { Problem = $"segment {number} where {_segmentNumber} was expected"; return; }
                _segmentRemaining = BinaryPrimitives.ReadInt64LittleEndian(field[2..]);
                _segment.Reset();
                _state = _segmentRemaining > 0 ? State.SegmentData : (_crc64 ? State.SegmentCrc : NextAfterSegment());
                return;
            case State.SegmentCrc:
                if (!field.SequenceEqual(Store.AzureCrc64Bytes(_segment.GetCurrentHashAsUInt64())))
                {
                    Problem = $"segment {_segmentNumber}'s CRC64 does not match its data";
                    IsCrcMismatch = true;
                    return;
                }
                _state = NextAfterSegment();
                return;
            case State.MessageCrc:
                if (!field.SequenceEqual(Store.AzureCrc64Bytes(_message.GetCurrentHashAsUInt64())))
                {
                    Problem = "the message's CRC64 does not match its data";
                    IsCrcMismatch = true;
                    return;
                }
                _state = State.Done;
                return;
        }
    }

    private State NextAfterSegment() => _segmentNumber < _segments ? State.SegmentHeader : (_crc64 ? State.MessageCrc : State.Done);

    /// <summary>After the last byte: the message must be complete and as long as its header says.</summary>
    public void Finish()
    {
        if (Problem is not null) return;
        if (_state != State.Done) Problem = "the structured message ends early";
        else if (_received != _messageLength) Problem = $"the structured message is {_received} bytes, its header says {_messageLength}";
    }
}
