using System.Globalization;
using System.Xml;

namespace IdpServerless.Storage.Internal;

/// <summary>Parses a List Blobs (<c>EnumerationResults</c>) response page.</summary>
internal static class BlobListReader
{
    public static (List<BlobItem> Items, string? NextMarker) Read(Stream stream)
    {
        var items = new List<BlobItem>();
        string? nextMarker = null;
        using var reader = XmlReader.Create(stream, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, IgnoreWhitespace = true });
        reader.MoveToContent();
        while (!reader.EOF)
        {
            if (reader.NodeType == XmlNodeType.Element && reader.LocalName == "Blob")
            {
                items.Add(ReadBlob(reader));
                continue;
            }

            if (reader.NodeType == XmlNodeType.Element && reader.LocalName == "NextMarker" && reader.Depth == 1)
            {
                var marker = reader.ReadElementContentAsString();
                nextMarker = string.IsNullOrEmpty(marker) ? null : marker;
                continue;
            }

            reader.Read();
        }

        return (items, nextMarker);
    }

    private static BlobItem ReadBlob(XmlReader reader)
    {
        string name = string.Empty, etag = string.Empty;
        string? contentType = null;
        long length = 0;
        var lastModified = DateTimeOffset.MinValue;
        using (var blob = reader.ReadSubtree())
        {
            blob.Read(); // <Blob>
            blob.Read();
            while (!blob.EOF)
            {
                if (blob.NodeType != XmlNodeType.Element)
                {
                    blob.Read();
                    continue;
                }

                switch (blob.LocalName)
                {
                    case "Name":
                        name = blob.ReadElementContentAsString();
                        break;
                    case "Etag":
                        etag = blob.ReadElementContentAsString();
                        break;
                    case "Content-Length":
                        length = long.Parse(blob.ReadElementContentAsString(), CultureInfo.InvariantCulture);
                        break;
                    case "Content-Type":
                        var ct = blob.ReadElementContentAsString();
                        contentType = ct.Length == 0 ? null : ct;
                        break;
                    case "Last-Modified":
                        lastModified = DateTimeOffset.Parse(blob.ReadElementContentAsString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
                        break;
                    default:
                        blob.Read();
                        break;
                }
            }
        }

        reader.Read(); // past the end of <Blob>
        return new BlobItem(name, length, etag, lastModified, contentType);
    }
}
